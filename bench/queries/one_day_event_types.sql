-- One day out of the bench's 30: events by type (one partition, one column)
SELECT event_type, count(*) AS events
FROM fact_clicks
WHERE event_date = DATE '${day}'
GROUP BY event_type
ORDER BY events DESC
