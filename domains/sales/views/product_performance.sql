-- Revenue per territory and product (net of refunds), ranked within the territory, with the gap to the
-- best seller; avg_price is the average selling price of the sales lines.
CREATE OR REPLACE VIEW product_performance AS
WITH revenue AS (
    SELECT
        f.territory,
        p.product_code,
        max(p.product_line) AS product_line,
        sum(f.total_amount) AS total_revenue,
        sum(f.quantity) AS total_quantity,
        count(DISTINCT f.order_number) AS order_count,
        round(avg(CASE WHEN f.transaction_type = 'Sale' THEN f.unit_price END), 2) AS avg_price  -- selling price: sales only
    FROM fact_transactions AS f
    INNER JOIN dim_product AS p ON f.product_key = p.product_key
    GROUP BY f.territory, p.product_code
)
SELECT
    r.territory,
    r.product_code,
    r.product_line,
    r.total_revenue,
    r.total_quantity,
    r.order_count,
    r.avg_price,
    rank() OVER (PARTITION BY r.territory ORDER BY r.total_revenue DESC) AS revenue_rank,
    max(r.total_revenue) OVER (PARTITION BY r.territory) AS best_revenue,
    max(r.total_revenue) OVER (PARTITION BY r.territory) - r.total_revenue AS revenue_diff_from_best
FROM revenue AS r
