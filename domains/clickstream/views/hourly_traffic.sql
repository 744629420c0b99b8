-- Traffic per hour: events, users, sessions and key event counts.
-- Filter on event_date to read only those days' partitions.
CREATE OR REPLACE VIEW hourly_traffic AS
SELECT
    f.event_date,
    date_trunc('hour', f.event_timestamp) AS event_hour,
    count(*) AS events,
    count(DISTINCT f.user_key) AS users,
    count(DISTINCT f.session_id) AS sessions,
    count_if(f.event_type = 'page_view') AS page_views,
    count_if(f.event_type = 'add_to_cart') AS add_to_carts,
    count_if(f.event_type = 'purchase') AS purchases,
    coalesce(sum(f.revenue), 0) AS revenue
FROM fact_clicks AS f
GROUP BY f.event_date, date_trunc('hour', f.event_timestamp)
