variable "buckets" {
  description = "Bucket name per zone: raw, silver, gold, athena-results, artifacts and logs."
  type        = map(string)
  validation {
    condition     = alltrue([for z in ["raw", "silver", "gold", "athena-results", "artifacts", "logs"] : contains(keys(var.buckets), z)])
    error_message = "buckets must name raw, silver, gold, athena-results, artifacts and logs."
  }
}

variable "kms_key_arn" {
  description = "The environment's customer-managed KMS key: default SSE-KMS of every data bucket."
  type        = string
}

variable "deny_statements" {
  description = "The bucket policies' Deny statements: non-TLS requests, puts asking for other encryption or another key. Only an emulator turns them off (the local env): its endpoint is plain http, so the TLS rule locked Terraform itself out of the buckets, and moto denies every request a conditional Deny names, whatever the condition."
  type        = bool
  default     = true
}

variable "lifecycle_rules" {
  description = "Tiering and expiry rules. Only the local env leaves them out: nothing ages within an emulator's life, and the provider waits about a minute for each rule set to settle."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (dev only; production keeps its data)."
  type        = bool
  default     = false
}

variable "raw_infrequent_access_days" {
  description = "Days before raw objects move to STANDARD_IA."
  type        = number
  validation {
    condition     = var.raw_infrequent_access_days >= 30
    error_message = "S3 needs objects to be at least 30 days old before STANDARD_IA."
  }
}

variable "raw_archive_days" {
  description = "Days before raw objects move to GLACIER_IR (archive)."
  type        = number
  validation {
    condition     = var.raw_archive_days >= 90
    error_message = "raw_archive_days must be at least 90 (and after the infrequent-access move)."
  }
}

variable "noncurrent_version_days" {
  description = "Days a superseded object version is kept before it expires."
  type        = number
  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "athena_results_days" {
  description = "Days Athena query results are kept."
  type        = number
  validation {
    condition     = var.athena_results_days >= 1
    error_message = "athena_results_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags for every bucket."
  type        = map(string)
  default     = {}
}
