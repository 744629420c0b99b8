variable "name" {
  description = "Resource name prefix: <project>-<env>."
  type        = string
}

variable "project" {
  description = "Project name (LAKEHOUSE_PROJECT of the functions)."
  type        = string
}

variable "env" {
  description = "Environment name (LAKEHOUSE_ENV of the functions)."
  type        = string
}

variable "functions" {
  description = "Lambda function name per handler in lambda/ (on_raw_object, on_crawler_state, on_job_state, landed_alert)."
  type        = map(string)
  validation {
    condition     = alltrue([for h in ["on_raw_object", "on_crawler_state", "on_job_state", "landed_alert"] : contains(keys(var.functions), h)])
    error_message = "functions must name on_raw_object, on_crawler_state, on_job_state and landed_alert."
  }
}

variable "function_role_arns" {
  description = "IAM role ARN per handler."
  type        = map(string)
}

variable "artifacts_bucket" {
  description = "Bucket holding the package zip."
  type        = string
}

variable "package_s3_key" {
  description = "Key of the lakehouse package zip (handlers and the lakehouse package)."
  type        = string
}

variable "package_zip" {
  description = "Local path of the same zip: its hash redeploys the functions when the code changes."
  type        = string
}

variable "raw_bucket" {
  description = "Name of the raw bucket whose new objects drive the pipeline."
  type        = string
}

variable "contracts_uri" {
  description = "s3:// prefix the functions read the contracts from."
  type        = string
}

variable "alert_dataset" {
  description = "Dataset whose newly landed raw files landed_alert reads (its domain's alerts.py says what to alert on)."
  type        = string
}

variable "alerts_topic_arn" {
  description = "SNS topic for failures and landed-file alerts."
  type        = string
}

variable "dlq_name" {
  description = "Name of the dead-letter queue for events the functions cannot handle."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's KMS key: queue, log groups and function environment."
  type        = string
}

variable "log_retention_days" {
  description = "Days the functions' logs are kept."
  type        = number
  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "lock_ttl_minutes" {
  description = "LAKEHOUSE_LOCK_TTL_MINUTES: a job lock older than this is taken over."
  type        = number
  default     = 240
}

variable "retention_hours" {
  description = "LAKEHOUSE_RETENTION_HOURS: superseded run directories are removed after this."
  type        = number
  default     = 72
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved (and capped) per function; null reserves none. A new account's whole quota may be 10, and AWS keeps 10 unreserved, so reserving fails there."
  type        = number
  default     = null
  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 1, false)
    error_message = "reserved_concurrency must be null (none reserved) or at least 1."
  }
}

variable "runtime" {
  description = "Lambda runtime of the functions (a Python runtime AWS still supports)."
  type        = string
  default     = "python3.13"
  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime \"${var.runtime}\" is not a supported Lambda Python runtime here: use python3.12 or python3.13 (python3.11 reached end of support in June 2026)."
  }
}

variable "deliver_to_queues" {
  description = "For an endpoint that runs no Lambda code (the local env): S3 notifications and the Glue state rules deliver to SQS queues <name>-raw-events and <name>-glue-events, and an <name>-alerts-inbox queue subscribes to the alerts topic; `lakehouse dispatch` hands their messages to the same handlers."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
