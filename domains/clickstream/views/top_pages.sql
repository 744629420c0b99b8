-- Pages ranked by page views, per day, with their reach.
CREATE OR REPLACE VIEW top_pages AS
SELECT
    f.event_date,
    p.page_path,
    p.page_url,
    count(*) AS page_views,
    count(DISTINCT f.user_key) AS unique_users,
    count(DISTINCT f.session_id) AS sessions,
    rank() OVER (PARTITION BY f.event_date ORDER BY count(*) DESC) AS page_rank
FROM fact_clicks AS f
INNER JOIN dim_pages AS p ON f.page_key = p.page_key
WHERE f.event_type = 'page_view'
GROUP BY f.event_date, p.page_path, p.page_url
