# local: the same composition, applied to a local AWS endpoint (moto on 127.0.0.1:4566, or a
# LocalStack). `lakehouse deploy --env local` and `make demo` apply it; `make tf-apply-local` proves
# apply, a clean second plan and destroy. State is local, kept beside the endpoint's state.

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
  backend "local" {}
}

variable "project" {
  description = "Project name (LAKEHOUSE_PROJECT); resources are <project>-local-..."
  type        = string
  default     = "lakehouse"
}

variable "endpoint_url" {
  description = "The local AWS endpoint every service is pointed at."
  type        = string
  default     = "http://127.0.0.1:4566"
}

variable "source_root" {
  description = "Where domains/ and glue/jobs/ are read (null: this repository)."
  type        = string
  default     = null
}

variable "build_dir" {
  description = "Where `lakehouse package` wrote manifest.json and lakehouse.zip (null: build/terraform)."
  type        = string
  default     = null
}

variable "unavailable_services" {
  description = "What the endpoint lacks: [\"glue\", \"athena\"] for LocalStack's free edition; moto has both."
  type        = set(string)
  default     = []
}

variable "region" {
  description = "Region the endpoint emulates."
  type        = string
  default     = "us-east-1"
}

provider "aws" {
  region     = var.region
  access_key = "test"
  secret_key = "test"

  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = false # the endpoint answers STS

  endpoints {
    athena         = var.endpoint_url
    cloudwatch     = var.endpoint_url
    cloudwatchlogs = var.endpoint_url
    eventbridge    = var.endpoint_url
    glue           = var.endpoint_url
    iam            = var.endpoint_url
    kms            = var.endpoint_url
    lambda         = var.endpoint_url
    s3             = var.endpoint_url
    sns            = var.endpoint_url
    sqs            = var.endpoint_url
    sts            = var.endpoint_url
  }
}

module "lakehouse" {
  source = "../../lakehouse"

  project     = var.project
  env         = "local"
  source_root = coalesce(var.source_root, "${path.root}/../../..")
  build_dir   = coalesce(var.build_dir, "${path.root}/../../../build/terraform")

  local_endpoint       = true
  unavailable_services = var.unavailable_services
  deletion_protection  = false
  log_retention_days   = 1
  warehouse_enabled    = false
}

output "lakehouse" {
  description = "Names and profile of the environment."
  value       = module.lakehouse
}
