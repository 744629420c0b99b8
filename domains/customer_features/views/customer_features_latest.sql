-- The newest snapshot of the customer features: one row per customer, as of the latest snapshot date.
CREATE OR REPLACE VIEW customer_features_latest AS
SELECT
    f.customer_id,
    f.snapshot_date,
    f.purchase_count,
    f.total_spend,
    f.avg_transaction_value,
    f.recency_days,
    f.transactions_last_30_days,
    f.session_count,
    f.avg_session_duration_seconds
FROM customer_features AS f
WHERE f.snapshot_date = (SELECT max(s.snapshot_date) FROM customer_features AS s)
