-- One row per customer (named as its current version): spend, orders, recency, breadth and segment.
-- Thresholds: models/sales.yaml (segment_high_from, segment_medium_from).
CREATE OR REPLACE VIEW customer_segments AS
WITH spend AS (
    SELECT
        c.customer_id,
        sum(f.total_amount) AS total_spent,
        count(DISTINCT CASE WHEN f.transaction_type = 'Sale' THEN f.order_number END) AS order_count,
        max(f.order_date) AS last_order_date,
        count(DISTINCT f.product_key) AS unique_products
    FROM fact_transactions AS f
    INNER JOIN dim_customer AS c ON f.customer_key = c.customer_key
    GROUP BY c.customer_id
)
SELECT
    s.customer_id,
    cur.customer_name,
    s.total_spent,
    s.order_count,
    round(s.total_spent / nullif(s.order_count, 0), 2) AS avg_order_value,
    s.last_order_date,
    s.unique_products,
    CASE
        WHEN s.total_spent >= ${sales.segment_high_from} THEN 'High'
        WHEN s.total_spent >= ${sales.segment_medium_from} THEN 'Medium'
        ELSE 'Low'
    END AS customer_segment
FROM spend AS s
INNER JOIN dim_customer AS cur ON s.customer_id = cur.customer_id AND cur.is_current
