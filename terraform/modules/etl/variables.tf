variable "name" {
  description = "Resource name prefix: <project>-<env>."
  type        = string
}

variable "project" {
  description = "Project name, passed to the jobs as --project."
  type        = string
}

variable "env" {
  description = "Environment name, passed to the jobs as --env."
  type        = string
}

variable "artifacts_bucket" {
  description = "Bucket the scripts, contracts and the Python package are uploaded to."
  type        = string
}

variable "source_root" {
  description = "Repository root: job scripts (and, unless domain_files_root is set, contracts and models) are read from here."
  type        = string
}

variable "domain_files_root" {
  description = "Where the contract and model files are read (lakehouse package copies exactly what it built from to <build_dir>/domains/); null: source_root."
  type        = string
  default     = null
}

variable "package_zip" {
  description = "Path of lakehouse.zip written by `lakehouse package` (the package the jobs and Lambdas run)."
  type        = string
}

variable "contract_files" {
  description = "Contract and model files to upload, relative to domain_files_root (domains/<domain>/...)."
  type        = list(string)
}

variable "jobs" {
  description = "Glue jobs from the manifest: key => {name, stage, script, arguments}."
  type = map(object({
    name      = string
    stage     = string
    script    = string
    arguments = map(string)
  }))
}

variable "job_role_arns" {
  description = "IAM role ARN per job key."
  type        = map(string)
}

variable "security_configuration" {
  description = "Glue security configuration every job runs under."
  type        = string
}

variable "worker_type" {
  description = "Glue worker type."
  type        = string
  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X"], var.worker_type)
    error_message = "worker_type \"${var.worker_type}\" is not a Glue Spark ETL worker: use G.1X, G.2X, G.4X or G.8X (G.025X is for streaming jobs only)."
  }
}

variable "number_of_workers" {
  description = "Glue workers per job run."
  type        = number
  validation {
    condition     = var.number_of_workers >= 2
    error_message = "A Glue Spark job needs at least 2 workers."
  }
}

variable "timeout_minutes" {
  description = "A job run longer than this is stopped (and alerted as TIMEOUT)."
  type        = number
  validation {
    condition     = var.timeout_minutes >= 1 && var.timeout_minutes <= 2880
    error_message = "timeout_minutes must be 1 to 2880."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "glue_version" {
  description = "Glue version of the jobs: 5.1 runs Spark 3.5.6 on Python 3.11, the versions the local loop pins."
  type        = string
  default     = "5.1"
  validation {
    condition     = contains(["5.0", "5.1"], var.glue_version)
    error_message = "glue_version must be 5.0 or 5.1 (Spark 3.5, Python 3.11, what the jobs are tested on)."
  }
}

variable "log_retention_days" {
  description = "Days Glue's job logs are kept."
  type        = number
}

variable "kms_key_arn" {
  description = "The environment's KMS key: Glue's log groups are encrypted with it."
  type        = string
}

variable "retention_hours" {
  description = "Hours superseded run files are kept after a newer run replaced them (queries may still read them)."
  type        = number
  default     = 168
  validation {
    condition     = var.retention_hours >= 1
    error_message = "retention_hours must be at least 1."
  }
}
