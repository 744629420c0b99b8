-- Session length and conversion by device
SELECT
    d.device_type,
    count(*) AS sessions,
    round(avg(s.duration_seconds), 1) AS avg_seconds,
    approx_percentile(s.duration_seconds, 0.5) AS median_seconds,
    round(100.0 * count_if(s.converted) / count(*), 2) AS conversion_pct
FROM session_length AS s
INNER JOIN dim_devices AS d ON s.device_key = d.device_key
GROUP BY d.device_type
ORDER BY sessions DESC
