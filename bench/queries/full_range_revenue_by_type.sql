-- All days: revenue by event type (every partition, two columns)
SELECT event_type, sum(revenue) AS revenue
FROM fact_clicks
GROUP BY event_type
ORDER BY revenue DESC
