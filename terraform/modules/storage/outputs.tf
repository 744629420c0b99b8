output "bucket_names" {
  description = "Bucket name per zone."
  value       = { for zone, b in aws_s3_bucket.this : zone => b.bucket }
}

output "bucket_arns" {
  description = "Bucket ARN per zone."
  value       = { for zone, b in aws_s3_bucket.this : zone => b.arn }
}

output "force_destroy" {
  description = "Whether the buckets may be destroyed with their data (dev only)."
  value       = alltrue([for b in aws_s3_bucket.this : b.force_destroy])
}
