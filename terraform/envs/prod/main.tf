# prod: sized for the real volume, data protected, alerts to the on-call rotation.
# The environment's profile is below; what is yours to set (project, region, the account's catalog
# key, Redshift networking) is a variable: put it in terraform.tfvars (see terraform.tfvars.example).
# State: backend.tf.

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}

variable "project" {
  description = "Your project name, globally unique enough for S3: buckets are <project>-prod-<zone>."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "eu-west-1"
}

variable "catalog_kms_key_arn" {
  description = "The account's Data Catalog key (terraform/account), or null when the catalog has none."
  type        = string
  default     = null
}

variable "warehouse_subnet_ids" {
  description = "Private subnets for Redshift Serverless (empty: the default VPC's)."
  type        = list(string)
  default     = []
}

variable "warehouse_security_group_ids" {
  description = "Security groups for Redshift Serverless (empty: the VPC's default)."
  type        = list(string)
  default     = []
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { project = var.project, env = "prod" }
  }
}

module "lakehouse" {
  source = "../../lakehouse"

  project     = var.project
  env         = "prod"
  source_root = "${path.root}/../../.."
  build_dir   = "${path.root}/../../../build/terraform"

  catalog_kms_key_arn          = var.catalog_kms_key_arn
  warehouse_subnet_ids         = var.warehouse_subnet_ids
  warehouse_security_group_ids = var.warehouse_security_group_ids

  glue_worker_type            = "G.2X"
  glue_workers                = 10
  glue_timeout_minutes        = 120
  job_duration_alarm_minutes  = 60
  raw_infrequent_access_days  = 30
  raw_archive_days            = 365
  noncurrent_version_days     = 90
  athena_results_days         = 30
  athena_bytes_scanned_cutoff = 107374182400 # 100 GiB
  log_retention_days          = 365
  deletion_protection         = true
  alert_emails                = ["data-platform-oncall@example.com"]
  warehouse_enabled           = true
  warehouse_base_capacity     = 32
}

output "lakehouse" {
  description = "Names, ARNs and the profile of the environment."
  value       = module.lakehouse
}
