variable "name" {
  description = "Resource name prefix: <project>-<env>."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's KMS key: the alerts topic is encrypted with it."
  type        = string
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alerts topic (each must confirm once)."
  type        = list(string)
  default     = []
}

variable "job_names" {
  description = "Glue job names to alarm on (failed tasks, run duration)."
  type        = list(string)
}

variable "job_duration_alarm_minutes" {
  description = "Alarm when a job run's elapsed time exceeds this."
  type        = number
  validation {
    condition     = var.job_duration_alarm_minutes >= 1
    error_message = "job_duration_alarm_minutes must be at least 1."
  }
}

variable "function_names" {
  description = "Lambda function names to alarm on errors."
  type        = list(string)
}

variable "dlq_name" {
  description = "Dead-letter queue to alarm on when it holds messages."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
