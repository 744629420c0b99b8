output "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key, once its policy lets the services use it."
  value       = aws_kms_key.this.arn
  # Log groups, queues and topics encrypted with the key are refused until the key policy admits
  # their service: everything that takes this output waits for the policy.
  depends_on = [aws_kms_key_policy.this]
}

output "job_role_arns" {
  description = "IAM role ARN per Glue job key of the manifest."
  value       = { for k, j in var.jobs : k => aws_iam_role.component["job-${k}"].arn }
}

output "crawler_role_arn" {
  description = "IAM role ARN of the crawlers (null when no contract asks for a crawler)."
  value       = length(var.crawled_datasets) > 0 ? aws_iam_role.component["crawler"].arn : null
}

output "function_role_arns" {
  description = "IAM role ARN per Lambda handler."
  value       = { for h, n in var.functions : h => aws_iam_role.component["fn-${h}"].arn }
}

output "spectrum_role_arn" {
  description = "IAM role ARN Redshift Spectrum assumes to read the gold zone."
  value       = aws_iam_role.component["spectrum"].arn
}

output "role_policies" {
  description = "Inline policy JSON per role key (job-<job>, crawler, fn-<handler>, spectrum), for review and tests."
  value       = { for k, s in local.role_specs : k => s.policy }
}

output "key_deletion_window_days" {
  description = "Days a scheduled deletion of the key waits."
  value       = aws_kms_key.this.deletion_window_in_days
}
