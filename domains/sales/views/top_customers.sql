-- The ten customers with the highest total spend (ties share a rank).
CREATE OR REPLACE VIEW top_customers AS
SELECT
    ranked.customer_id,
    ranked.customer_name,
    ranked.total_spent,
    ranked.order_count,
    ranked.customer_segment,
    ranked.spend_rank
FROM (
    SELECT
        s.customer_id,
        s.customer_name,
        s.total_spent,
        s.order_count,
        s.customer_segment,
        rank() OVER (ORDER BY s.total_spent DESC) AS spend_rank
    FROM customer_segments AS s
) AS ranked
WHERE ranked.spend_rank <= 10
