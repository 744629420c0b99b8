-- One row per session: when it started and ended, how long it lasted, what it did.
CREATE OR REPLACE VIEW session_length AS
SELECT
    f.session_id,
    min(f.user_key) AS user_key,
    min(f.device_key) AS device_key,
    min(f.event_date) AS session_date,
    min(f.event_timestamp) AS session_start,
    max(f.event_timestamp) AS session_end,
    date_diff('second', min(f.event_timestamp), max(f.event_timestamp)) AS duration_seconds,
    count(*) AS events,
    count_if(f.event_type = 'page_view') AS page_views,
    count_if(f.event_type = 'purchase') > 0 AS converted
FROM fact_clicks AS f
GROUP BY f.session_id
