-- Marketplace liquidity: per day and item category, the share of posts that got a reply within the
-- reply window (models/activity.yaml, liquidity_reply_window_hours).
--
-- The domain's actions are `Post` and `Replied` (the contract's known_action_type rule), each on an item;
-- there is no thread or parent id, so a reply is tied to a post by its item and its time:
-- - a post is a fact_user_activity row with action_type 'Post'; its day is the UTC date of its
--   action_ts, its category the item's (dim_activity_item; a missing category reads 'unknown');
-- - it is replied within the window when a 'Replied' action on the same item, by a user other than the
--   poster, has action_ts after the post's and no later than the post's action_ts + the window
--   (a reply exactly at the window's end counts; one at the post's own instant does not). A poster
--   replying on their own item does not count. One reply may answer several earlier posts of the item.
-- liquidity = posts_replied_within_window / posts, a double in [0, 1] (cast first: Trino's integer
-- division would truncate it to 0). window_complete is false while the newest action loaded is
-- earlier than the window's end of the day's last post in that category: replies may still come, so
-- the share of such a (recent) row can still rise.
CREATE OR REPLACE VIEW marketplace_liquidity AS
WITH posts AS (
    SELECT
        f.activity_key,
        f.user_id,
        f.item_key,
        f.action_ts,
        date_add('hour', ${activity.liquidity_reply_window_hours}, f.action_ts) AS window_end_ts
    FROM fact_user_activity AS f
    WHERE f.action_type = 'Post'
),

replied AS (
    SELECT DISTINCT p.activity_key
    FROM posts AS p
    INNER JOIN fact_user_activity AS r
        ON
            r.item_key = p.item_key
            AND r.action_type = 'Replied'
            AND r.user_id <> p.user_id
            AND r.action_ts > p.action_ts
            AND r.action_ts <= p.window_end_ts
),

newest AS (
    SELECT max(f.action_ts) AS as_of_ts FROM fact_user_activity AS f
),

per_day AS (
    SELECT
        CAST(p.action_ts AS date) AS activity_date,
        coalesce(i.item_category, 'unknown') AS item_category,
        count(*) AS posts,
        count(r.activity_key) AS posts_replied_within_window,
        max(p.window_end_ts) AS last_window_end_ts
    FROM posts AS p
    LEFT JOIN replied AS r ON p.activity_key = r.activity_key
    LEFT JOIN dim_activity_item AS i ON p.item_key = i.item_key
    GROUP BY CAST(p.action_ts AS date), coalesce(i.item_category, 'unknown')
)

SELECT
    d.activity_date,
    d.item_category,
    d.posts,
    d.posts_replied_within_window,
    CAST(d.posts_replied_within_window AS double) / d.posts AS liquidity,
    d.last_window_end_ts <= n.as_of_ts AS window_complete
FROM per_day AS d
CROSS JOIN newest AS n
