output "job_names" {
  description = "Glue job name per manifest job key."
  value       = { for k, j in aws_glue_job.this : k => j.name }
}

output "package_s3_key" {
  description = "Key of the uploaded lakehouse package (content-hashed) in the artifacts bucket."
  value       = aws_s3_object.package.key
}

output "contracts_uri" {
  description = "Where the Lambdas read the contracts."
  value       = "s3://${var.artifacts_bucket}/domains/"
}

output "capacity" {
  description = "Worker type, workers and timeout per job."
  value = {
    for k, j in aws_glue_job.this : k => {
      worker_type = j.worker_type, workers = j.number_of_workers, timeout_minutes = j.timeout
    }
  }
}
