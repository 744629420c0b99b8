-- Daily conversion funnel
SELECT
    event_date,
    sessions,
    viewed_sessions,
    cart_sessions,
    purchase_sessions,
    conversion_pct
FROM daily_conversion_funnel
ORDER BY event_date
