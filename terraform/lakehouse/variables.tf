variable "project" {
  description = "Project name; every resource is named <project>-<env>-... (the local loop uses the same names)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "project must be 3-32 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "env" {
  description = "Environment name (dev, staging, prod, ...)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.env))
    error_message = "env must be 3-32 characters of a-z, 0-9 and '-'."
  }
}

variable "source_root" {
  description = "Repository root: domains/ (contracts, models, queries) and glue/jobs/ are read from here."
  type        = string
}

variable "build_dir" {
  description = "Directory written by `lakehouse package`: manifest.json and lakehouse.zip."
  type        = string
}

variable "glue_worker_type" {
  description = "Glue worker type of every job."
  type        = string
  default     = "G.1X"
}

variable "glue_workers" {
  description = "Glue workers per job run."
  type        = number
  default     = 2
}

variable "glue_timeout_minutes" {
  description = "Job runs longer than this are stopped."
  type        = number
  default     = 60
}

variable "job_duration_alarm_minutes" {
  description = "Alarm when a job run takes longer than this."
  type        = number
  default     = 30
}

variable "raw_infrequent_access_days" {
  description = "Days before raw objects move to STANDARD_IA."
  type        = number
  default     = 30
}

variable "raw_archive_days" {
  description = "Days before raw objects move to GLACIER_IR."
  type        = number
  default     = 90
}

variable "noncurrent_version_days" {
  description = "Days superseded object versions are kept."
  type        = number
  default     = 30
}

variable "athena_results_days" {
  description = "Days Athena query results are kept."
  type        = number
  default     = 7
}

variable "athena_bytes_scanned_cutoff" {
  description = "Per-query bytes-scanned limit of the workgroup."
  type        = number
  default     = 10737418240
}

variable "retention_hours" {
  description = "Hours a superseded run's files are kept once a newer run replaced them."
  type        = number
  default     = 168
}

variable "log_retention_days" {
  description = "Days Lambda logs are kept."
  type        = number
  default     = 30
}

variable "deletion_protection" {
  description = "Protect data from `terraform destroy`: buckets must be emptied by hand, the key waits 30 days."
  type        = bool
  default     = true
}

variable "alert_emails" {
  description = "E-mail subscriptions of the alerts topic."
  type        = list(string)
  default     = []
}

variable "key_user_arns" {
  description = "Analyst roles allowed to use the environment's key (to read results and data)."
  type        = list(string)
  default     = []
}

variable "alert_dataset" {
  description = "Dataset whose newly landed raw files landed_alert reads (its domain's alerts.py says what to alert on; the sample: clickstream purchases)."
  type        = string
  default     = "clickstream"
}

variable "catalog_kms_key_arn" {
  description = "The account's Data Catalog key (terraform/account output catalog_kms_key_arn), when the catalog is encrypted with one: every role of the environment may use it to read and write catalog entries. null: the catalog is not encrypted with a customer key."
  type        = string
  default     = null
}

variable "warehouse_enabled" {
  description = "Create Redshift Serverless and the Spectrum external schema."
  type        = bool
  default     = false
}

variable "warehouse_base_capacity" {
  description = "Base RPUs of the Redshift Serverless workgroup."
  type        = number
  default     = 8
}

variable "warehouse_subnet_ids" {
  description = "Private subnets of the Redshift workgroup."
  type        = list(string)
  default     = []
}

variable "local_endpoint" {
  description = "Applied to a local emulator over plain http (the local env): bucket policies carry no Deny statements (the emulator cannot evaluate their conditions), no lifecycle rules, no named queries, and events are delivered to SQS queues that `lakehouse dispatch` reads instead of invoking Lambda."
  type        = bool
  default     = false
}

variable "lambda_runtime" {
  description = "Python runtime of the Lambda functions."
  type        = string
  default     = "python3.13"
  validation {
    condition     = contains(["python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime \"${var.lambda_runtime}\" is not supported: use python3.12 or python3.13 (python3.11 reached end of support in June 2026)."
  }
}

variable "warehouse_security_group_ids" {
  description = "Security groups of the Redshift workgroup (empty: the VPC's default)."
  type        = list(string)
  default     = []
}

variable "warehouse_enhanced_vpc_routing" {
  description = "Route Spectrum traffic through the VPC (needs S3 and Glue VPC endpoints there)."
  type        = bool
  default     = false
}

variable "unavailable_services" {
  description = "Services the target lacks, whose modules are left out: \"glue\" (catalog, crawlers, jobs) and \"athena\" (workgroup, named queries). For an emulator such as LocalStack's free edition; AWS has both."
  type        = set(string)
  default     = []
  validation {
    condition     = length(setsubtract(var.unavailable_services, ["glue", "athena"])) == 0
    error_message = "unavailable_services may name only \"glue\" and \"athena\" (Redshift is off unless warehouse_enabled)."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
