variable "name" {
  description = "Resource name prefix: <project>-<env>."
  type        = string
}

variable "buckets" {
  description = "Bucket name per zone (the roles' S3 permissions name these and nothing else)."
  type        = map(string)
}

variable "databases" {
  description = "Glue database name per data zone (raw, silver, gold)."
  type        = map(string)
}

variable "jobs" {
  description = "Glue jobs from the manifest: key => {name, stage, access = {s3_read, s3_write, tables}}."
  type = map(object({
    name  = string
    stage = string
    access = object({
      s3_read  = list(object({ zone = string, prefix = string }))
      s3_write = list(object({ zone = string, prefix = string }))
      tables   = list(string)
    })
  }))
}

variable "crawled_datasets" {
  description = "Datasets whose contract asks for a crawler of their raw prefix."
  type        = list(string)
  default     = []
}

variable "alert_dataset" {
  description = "Dataset whose raw files the landed_alert function reads."
  type        = string
}

variable "functions" {
  description = "Lambda function names by handler (on_raw_object, on_crawler_state, on_job_state, landed_alert)."
  type        = map(string)
}

variable "alerts_topic_name" {
  description = "Name of the alerts SNS topic the automation functions publish to."
  type        = string
}

variable "dlq_name" {
  description = "Name of the automation dead-letter queue."
  type        = string
}

variable "key_deletion_window_days" {
  description = "Days a scheduled deletion of the KMS key waits (30 where deletion protection matters)."
  type        = number
  default     = 30
  validation {
    condition     = var.key_deletion_window_days >= 7 && var.key_deletion_window_days <= 30
    error_message = "KMS allows a deletion window of 7 to 30 days."
  }
}

variable "key_user_arns" {
  description = "Extra principals (analyst roles) that may decrypt query results and data with the key."
  type        = list(string)
  default     = []
}

variable "catalog_kms_key_arn" {
  description = "The account's Data Catalog key (null when the catalog has none): the roles that touch the catalog may use it."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
