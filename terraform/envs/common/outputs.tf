output "buckets" {
  description = "Bucket name per zone."
  value       = module.lakehouse.buckets
}

output "databases" {
  description = "Glue database per data zone."
  value       = module.lakehouse.databases
}

output "glue_jobs" {
  description = "Glue job names."
  value       = module.lakehouse.glue_jobs
}

output "athena_workgroup" {
  description = "Athena workgroup."
  value       = module.lakehouse.athena_workgroup
}

output "alerts_topic_arn" {
  description = "Alerts topic."
  value       = module.lakehouse.alerts_topic_arn
}

output "profile" {
  description = "What makes this environment different from the others."
  value       = module.lakehouse.profile
}
