# Account-wide settings, applied once per account and region (not per environment): the Glue Data
# Catalog's encryption. The setting is account-wide, so no environment may own it: with dev owning it,
# dev's key encrypted staging's catalog entries and destroying dev scheduled the deletion of a key
# every environment's metadata needs. Here the catalog has its own key, protected from destroy;
# environments get its ARN (catalog_kms_key_arn) and grant their roles its use.
#
#   cd terraform/account && terraform init -backend-config=bucket=$TF_STATE_BUCKET && terraform apply

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
  backend "s3" {
    key          = "lakehouse/account/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

variable "region" {
  description = "Region whose Data Catalog this configures."
  type        = string
  default     = "eu-west-1"
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { project = "lakehouse", scope = "account", "managed-by" = "terraform" }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

resource "aws_kms_key" "catalog" {
  description             = "Glue Data Catalog encryption (account-wide)"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  # The metadata of every environment depends on this key.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "catalog" {
  name          = "alias/glue-data-catalog"
  target_key_id = aws_kms_key.catalog.key_id
}

resource "aws_kms_key_policy" "catalog" {
  key_id = aws_kms_key.catalog.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      # IAM policies decide who uses the key: each environment's roles name it (catalog_kms_key_arn).
      Sid       = "AccountAdministersAndGrantsThroughIam"
      Effect    = "Allow"
      Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_glue_data_catalog_encryption_settings" "this" {
  data_catalog_encryption_settings {
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = aws_kms_key.catalog.arn
    }
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = aws_kms_key.catalog.arn
    }
  }

  depends_on = [aws_kms_key_policy.catalog]
}

output "catalog_kms_key_arn" {
  description = "Set as catalog_kms_key_arn in every environment of this account and region."
  value       = aws_kms_key.catalog.arn
}
