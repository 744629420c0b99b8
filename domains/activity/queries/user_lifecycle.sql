-- Users per lifecycle stage (activity domain)
SELECT
    v.lifecycle_stage,
    count(*) AS users,
    sum(v.actions) AS actions
FROM user_lifecycle_stages AS v
GROUP BY v.lifecycle_stage
ORDER BY users DESC, v.lifecycle_stage
