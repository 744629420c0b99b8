-- One row per user: activity span and lifecycle stage (new, active, at-risk, churned), named as the
-- user's current version. Days are counted back from the newest activity loaded, so a backfilled
-- history reads as it did then. Thresholds: models/activity.yaml (lifecycle_*_days).
CREATE OR REPLACE VIEW user_lifecycle_stages AS
WITH per_user AS (
    SELECT
        f.user_id,
        count(*) AS actions,
        min(f.action_ts) AS first_action_ts,
        max(f.action_ts) AS last_action_ts
    FROM fact_user_activity AS f
    GROUP BY f.user_id
),

newest AS (
    SELECT max(f.action_ts) AS as_of_ts FROM fact_user_activity AS f
),

spans AS (
    SELECT
        p.user_id,
        p.actions,
        p.first_action_ts,
        p.last_action_ts,
        date_diff('day', p.first_action_ts, n.as_of_ts) AS days_since_first_action,
        date_diff('day', p.last_action_ts, n.as_of_ts) AS days_since_last_action
    FROM per_user AS p
    CROSS JOIN newest AS n
)

SELECT
    s.user_id,
    u.first_name,
    u.last_name,
    u.city,
    s.actions,
    s.first_action_ts,
    s.last_action_ts,
    s.days_since_last_action,
    CASE
        WHEN s.days_since_last_action > ${activity.lifecycle_churned_days} THEN 'churned'
        WHEN s.days_since_last_action > ${activity.lifecycle_at_risk_days} THEN 'at-risk'
        WHEN s.days_since_first_action <= ${activity.lifecycle_new_days} THEN 'new'
        ELSE 'active'
    END AS lifecycle_stage
FROM spans AS s
LEFT JOIN dim_user AS u ON s.user_id = u.user_id AND u.is_current
