-- Sales by year: amounts, restocking fees, refunds (sales domain)
SELECT
    year(f.order_date) AS order_year,
    sum(f.total_amount) AS total_amount,
    sum(f.restocking_fee) AS restocking_fees,
    count_if(f.transaction_type = 'Refund') AS refunds,
    count(*) AS lines
FROM fact_transactions AS f
GROUP BY year(f.order_date)
ORDER BY order_year
