-- Top customers by spend in the latest feature snapshot (customer_features domain)
SELECT
    f.customer_id,
    f.snapshot_date,
    f.purchase_count,
    f.total_spend,
    f.recency_days,
    f.session_count,
    f.avg_session_duration_seconds
FROM customer_features_latest AS f
ORDER BY f.total_spend DESC, f.customer_id
LIMIT 5
