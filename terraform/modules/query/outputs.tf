output "workgroup" {
  description = "Name of the Athena workgroup."
  value       = aws_athena_workgroup.this.name
}

output "named_queries" {
  description = "Named query id per name."
  value       = { for k, q in aws_athena_named_query.this : q.name => q.id }
}

output "bytes_scanned_cutoff" {
  description = "Per-query bytes-scanned limit of the workgroup."
  value       = aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query
}
