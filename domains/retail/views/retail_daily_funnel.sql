-- Daily funnel per top-level category: views -> add to cart -> transactions. Each event counts in the
-- category its item had at the event's time (fact_events.item_key is that dim_item version); items
-- never snapshotted, or seen before their first snapshot, count as 'unknown'.
CREATE OR REPLACE VIEW retail_daily_funnel AS
WITH events AS (
    SELECT
        f.event_date,
        f.event_type,
        coalesce(c.top_category_id, 'unknown') AS top_category_id
    FROM fact_events AS f
    LEFT JOIN dim_item AS i ON f.item_key = i.item_key
    LEFT JOIN dim_category AS c ON i.category_id = c.category_id
)

SELECT
    e.event_date,
    e.top_category_id,
    count_if(e.event_type = 'view') AS views,
    count_if(e.event_type = 'addtocart') AS add_to_carts,
    count_if(e.event_type = 'transaction') AS transactions,
    round(
        cast(count_if(e.event_type = 'addtocart') AS double) / nullif(count_if(e.event_type = 'view'), 0), 4
    ) AS view_to_cart_rate,
    round(
        cast(count_if(e.event_type = 'transaction') AS double)
        / nullif(count_if(e.event_type = 'addtocart'), 0),
        4
    ) AS cart_to_transaction_rate
FROM events AS e
GROUP BY e.event_date, e.top_category_id
