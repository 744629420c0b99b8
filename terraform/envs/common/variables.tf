# The knobs an environment sets in its terraform.tfvars; described and validated in ../../lakehouse.

variable "project" {
  description = "Project name (resource names are <project>-<env>-...)."
  type        = string
}

variable "env" {
  description = "Environment name."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "aws_endpoint_url" {
  description = "One endpoint for every AWS service (LocalStack: http://localhost:4566); null for AWS itself."
  type        = string
  default     = null
}

variable "glue_worker_type" {
  description = "Glue worker type."
  type        = string
}

variable "glue_workers" {
  description = "Glue workers per job run."
  type        = number
}

variable "glue_timeout_minutes" {
  description = "Job run timeout."
  type        = number
}

variable "job_duration_alarm_minutes" {
  description = "Alarm threshold on job run duration."
  type        = number
}

variable "raw_infrequent_access_days" {
  description = "Days before raw objects move to STANDARD_IA."
  type        = number
}

variable "raw_archive_days" {
  description = "Days before raw objects are archived."
  type        = number
}

variable "noncurrent_version_days" {
  description = "Days superseded versions are kept."
  type        = number
}

variable "athena_results_days" {
  description = "Days query results are kept."
  type        = number
}

variable "athena_bytes_scanned_cutoff" {
  description = "Per-query bytes-scanned limit."
  type        = number
}

variable "log_retention_days" {
  description = "Days Lambda logs are kept."
  type        = number
}

variable "deletion_protection" {
  description = "Protect data from destroy."
  type        = bool
}

variable "alert_emails" {
  description = "Alert subscriptions."
  type        = list(string)
}

variable "key_user_arns" {
  description = "Analyst roles allowed to use the key."
  type        = list(string)
  default     = []
}

variable "manage_catalog_encryption" {
  description = "Whether this environment owns the account's Data Catalog encryption setting."
  type        = bool
}

variable "warehouse_enabled" {
  description = "Create Redshift Serverless."
  type        = bool
}

variable "warehouse_base_capacity" {
  description = "Redshift base RPUs."
  type        = number
  default     = 8
}

variable "warehouse_subnet_ids" {
  description = "Private subnets for Redshift."
  type        = list(string)
  default     = []
}
