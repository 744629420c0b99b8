output "workgroup_endpoint" {
  description = "Address of the Redshift Serverless workgroup (null when disabled)."
  value       = var.enabled ? try(aws_redshiftserverless_workgroup.this[0].endpoint[0].address, null) : null
}

output "external_schema" {
  description = "External schema over the gold database (null when disabled)."
  value       = var.enabled ? var.external_schema : null
}

output "enabled" {
  description = "Whether Redshift Serverless is deployed."
  value       = length(aws_redshiftserverless_workgroup.this) > 0
}

output "base_capacity" {
  description = "Base RPUs of the workgroup (null when disabled)."
  value       = var.enabled ? aws_redshiftserverless_workgroup.this[0].base_capacity : null
}
