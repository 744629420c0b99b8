-- Daily session funnel: view -> add to cart -> purchase.
-- A session counts at a stage only if it also reached every earlier stage that day.
CREATE OR REPLACE VIEW daily_conversion_funnel AS
WITH session_steps AS (
    SELECT
        f.event_date,
        f.session_id,
        max(CASE WHEN f.event_type = 'page_view' THEN 1 ELSE 0 END) AS viewed,
        max(CASE WHEN f.event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS carted,
        max(CASE WHEN f.event_type = 'purchase' THEN 1 ELSE 0 END) AS purchased
    FROM fact_clicks AS f
    GROUP BY f.event_date, f.session_id
)
SELECT
    event_date,
    count(*) AS sessions,
    sum(viewed) AS viewed_sessions,
    sum(viewed * carted) AS cart_sessions,
    sum(viewed * carted * purchased) AS purchase_sessions,
    round(100.0 * sum(viewed * carted) / nullif(sum(viewed), 0), 2) AS view_to_cart_pct,
    round(100.0 * sum(viewed * carted * purchased) / nullif(sum(viewed * carted), 0), 2) AS cart_to_purchase_pct,
    round(100.0 * sum(viewed * carted * purchased) / nullif(sum(viewed), 0), 2) AS conversion_pct
FROM session_steps
GROUP BY event_date
