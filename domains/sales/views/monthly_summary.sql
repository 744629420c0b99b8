-- Per order month: sales and refunds (refunds as positive amounts), items, restocking fees, customers.
CREATE OR REPLACE VIEW monthly_summary AS
SELECT
    f.order_month,
    sum(CASE WHEN f.transaction_type = 'Sale' THEN f.total_amount ELSE 0 END) AS total_sales,
    sum(CASE WHEN f.transaction_type = 'Refund' THEN -f.total_amount ELSE 0 END) AS total_refunds,
    sum(CASE WHEN f.transaction_type = 'Sale' THEN f.quantity ELSE 0 END) AS items_sold,
    sum(CASE WHEN f.transaction_type = 'Refund' THEN f.quantity ELSE 0 END) AS items_refunded,
    sum(f.restocking_fee) AS total_restocking_fees,
    count(DISTINCT c.customer_id) AS unique_customers
FROM fact_transactions AS f
INNER JOIN dim_customer AS c ON f.customer_key = c.customer_key
GROUP BY f.order_month
