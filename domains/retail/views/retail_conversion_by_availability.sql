-- Conversion by the item's availability at the time of each event: a point-in-time join of the events
-- to dim_item's validity ranges (valid_from <= event_ts < valid_to). 'unknown': no snapshot of the
-- item's availability at or before the event.
CREATE OR REPLACE VIEW retail_conversion_by_availability AS
WITH events AS (
    SELECT
        f.event_type,
        CASE
            WHEN i.is_available IS NULL THEN 'unknown'
            WHEN i.is_available THEN 'available'
            ELSE 'unavailable'
        END AS availability
    FROM fact_events AS f
    LEFT JOIN dim_item AS i
        ON f.item_id = i.item_id AND f.event_ts >= i.valid_from AND f.event_ts < i.valid_to
)

SELECT
    e.availability,
    count_if(e.event_type = 'view') AS views,
    count_if(e.event_type = 'addtocart') AS add_to_carts,
    count_if(e.event_type = 'transaction') AS transactions,
    round(
        cast(count_if(e.event_type = 'transaction') AS double) / nullif(count_if(e.event_type = 'view'), 0), 4
    ) AS view_to_transaction_rate
FROM events AS e
GROUP BY e.availability
