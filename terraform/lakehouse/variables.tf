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
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.env)) && var.env != "local"
    error_message = "env must be 3-32 characters of a-z, 0-9 and '-', and not \"local\" (the laptop loop)."
  }
}

variable "source_root" {
  description = "Repository root: datasets/, glue/jobs/ and athena/queries/ are read from here."
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

variable "purchase_dataset" {
  description = "Dataset whose raw files carry purchase events."
  type        = string
  default     = "clickstream"
}

variable "manage_catalog_encryption" {
  description = "This environment sets the account's Data Catalog encryption (one environment per account)."
  type        = bool
  default     = true
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

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
