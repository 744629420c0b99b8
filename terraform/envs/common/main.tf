# One environment = this root module + its backend.tf + its terraform.tfvars. The .tf files other
# than backend.tf are shared by every environment (links to envs/common/), so environments differ
# only where their tfvars say so.

provider "aws" {
  region = var.region

  # aws_endpoint_url points every service at one endpoint (LocalStack, a moto server); null = AWS.
  s3_use_path_style           = var.aws_endpoint_url != null
  skip_credentials_validation = var.aws_endpoint_url != null
  skip_metadata_api_check     = var.aws_endpoint_url != null
  skip_requesting_account_id  = var.aws_endpoint_url != null

  endpoints {
    athena             = var.aws_endpoint_url
    cloudwatch         = var.aws_endpoint_url
    cloudwatchlogs     = var.aws_endpoint_url
    eventbridge        = var.aws_endpoint_url
    glue               = var.aws_endpoint_url
    iam                = var.aws_endpoint_url
    kms                = var.aws_endpoint_url
    lambda             = var.aws_endpoint_url
    redshiftdata       = var.aws_endpoint_url
    redshiftserverless = var.aws_endpoint_url
    s3                 = var.aws_endpoint_url
    sns                = var.aws_endpoint_url
    sqs                = var.aws_endpoint_url
    sts                = var.aws_endpoint_url
  }

  default_tags {
    tags = { project = var.project, env = var.env }
  }
}

module "lakehouse" {
  source = "../../lakehouse"

  project     = var.project
  env         = var.env
  source_root = "${path.root}/../../.."
  build_dir   = "${path.root}/../../../build/terraform"

  glue_worker_type            = var.glue_worker_type
  glue_workers                = var.glue_workers
  glue_timeout_minutes        = var.glue_timeout_minutes
  job_duration_alarm_minutes  = var.job_duration_alarm_minutes
  raw_infrequent_access_days  = var.raw_infrequent_access_days
  raw_archive_days            = var.raw_archive_days
  noncurrent_version_days     = var.noncurrent_version_days
  athena_results_days         = var.athena_results_days
  athena_bytes_scanned_cutoff = var.athena_bytes_scanned_cutoff
  log_retention_days          = var.log_retention_days
  deletion_protection         = var.deletion_protection
  alert_emails                = var.alert_emails
  key_user_arns               = var.key_user_arns
  manage_catalog_encryption   = var.manage_catalog_encryption
  warehouse_enabled           = var.warehouse_enabled
  warehouse_base_capacity     = var.warehouse_base_capacity
  warehouse_subnet_ids        = var.warehouse_subnet_ids
}
