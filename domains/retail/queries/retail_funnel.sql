-- Retail funnel per top-level category, all days (retail domain)
SELECT
    f.top_category_id,
    sum(f.views) AS views,
    sum(f.add_to_carts) AS add_to_carts,
    sum(f.transactions) AS transactions
FROM retail_daily_funnel AS f
GROUP BY f.top_category_id
ORDER BY views DESC, f.top_category_id
