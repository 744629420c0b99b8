output "buckets" {
  description = "Bucket name per zone."
  value       = module.storage.bucket_names
}

output "databases" {
  description = "Glue database per data zone."
  value       = one(module.catalog[*].database_names)
}

output "kms_key_arn" {
  description = "The environment's KMS key."
  value       = module.security.kms_key_arn
}

output "glue_jobs" {
  description = "Glue job name per manifest job."
  value       = module.etl.job_names
}

output "athena_workgroup" {
  description = "Athena workgroup for `lakehouse query --target aws`."
  value       = one(module.query[*].workgroup)
}

output "alerts_topic_arn" {
  description = "SNS topic of the environment's alerts."
  value       = module.monitoring.alerts_topic_arn
}

output "redshift_endpoint" {
  description = "Redshift Serverless endpoint (null when the warehouse is off)."
  value       = module.warehouse.workgroup_endpoint
}

output "tables" {
  description = "Qualified catalog table per manifest key (<zone>.<table>)."
  value       = one(module.catalog[*].table_names)
}

output "profile" {
  description = "What makes this environment different from the others, read back from the resources."
  value = {
    force_destroy            = module.storage.force_destroy
    key_deletion_window_days = module.security.key_deletion_window_days
    glue_capacity            = distinct(values(module.etl.capacity))
    log_retention_days       = distinct(values(module.events.log_retention_days))
    athena_bytes_cutoff      = one(module.query[*].bytes_scanned_cutoff)
    alert_subscriptions      = module.monitoring.alert_subscriptions
    warehouse_enabled        = module.warehouse.enabled
    warehouse_base_capacity  = module.warehouse.base_capacity
  }
}
