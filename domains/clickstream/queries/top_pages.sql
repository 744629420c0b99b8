-- Top 5 pages by page views over all days
SELECT
    page_path,
    sum(page_views) AS page_views,
    sum(sessions) AS sessions
FROM top_pages
GROUP BY page_path
ORDER BY page_views DESC, page_path
LIMIT 5
