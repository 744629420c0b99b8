# Six buckets, all private, versioned, logged and encrypted:
# - raw, silver, gold, athena-results, artifacts: SSE-KMS with the environment's key and bucket keys;
# - logs: receives S3 server access logs, which S3 can only deliver to an SSE-S3 (AES256) bucket.
# Every bucket policy denies non-TLS access; data buckets also deny puts that ask for other encryption.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  data_buckets = { for zone, name in var.buckets : zone => name if zone != "logs" }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV2_AWS_62:Only the raw bucket drives automation; its notification is aws_s3_bucket_notification in modules/events, which checkov cannot link across modules.
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery decision (second region, double storage) left to adopters; data is versioned and protected from destroy.
  for_each      = var.buckets
  bucket        = each.value
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { zone = each.key })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = aws_s3_bucket.this
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  for_each = local.data_buckets
  bucket   = aws_s3_bucket.this[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.this["logs"].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each      = local.data_buckets
  bucket        = aws_s3_bucket.this[each.key].id
  target_bucket = aws_s3_bucket.this["logs"].id
  target_prefix = "s3/${each.value}/"

  # S3 checks the logs bucket's policy lets the logging service write: it must exist first.
  depends_on = [aws_s3_bucket_policy.this]
}

locals {
  bucket_policy = {
    for zone, b in aws_s3_bucket.this : zone => {
      Version = "2012-10-17"
      Statement = concat([for s in [
        {
          on = var.deny_statements
          doc = {
            Sid       = "DenyInsecureTransport"
            Effect    = "Deny"
            Principal = "*"
            Action    = "s3:*"
            Resource  = [b.arn, "${b.arn}/*"]
            Condition = { Bool = { "aws:SecureTransport" = "false" } }
          }
        },
        {
          on = var.deny_statements && zone != "logs"
          doc = {
            Sid       = "DenyOtherEncryption"
            Effect    = "Deny"
            Principal = "*"
            Action    = "s3:PutObject"
            Resource  = "${b.arn}/*"
            Condition = { StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption" = "aws:kms" } }
          }
        },
        {
          on = var.deny_statements && zone != "logs"
          doc = {
            Sid       = "DenyOtherKmsKey"
            Effect    = "Deny"
            Principal = "*"
            Action    = "s3:PutObject"
            Resource  = "${b.arn}/*"
            Condition = { StringNotEqualsIfExists = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = var.kms_key_arn } }
          }
        },
        ] : s.doc if s.on],
        # The logs bucket: S3 server access logs from each data bucket, into that bucket's own prefix
        # only (a statement each, with source bucket and account in the condition, as AWS advises).
        [for src_zone, src in local.data_buckets : {
          Sid       = "AccessLogsFrom${replace(title(replace(src_zone, "-", " ")), " ", "")}"
          Effect    = "Allow"
          Principal = { Service = "logging.s3.amazonaws.com" }
          Action    = ["s3:PutObject"]
          Resource  = "${b.arn}/s3/${src}/*"
          Condition = {
            ArnLike      = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:s3:::${src}" }
            StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
          }
        } if zone == "logs"],
      )
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  # every bucket has one, except on an emulator without the Deny statements (data buckets then have none)
  for_each = { for zone, b in aws_s3_bucket.this : zone => b if var.deny_statements || zone == "logs" }
  bucket   = each.value.id
  policy   = jsonencode(local.bucket_policy[each.key])

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = var.lifecycle_rules ? aws_s3_bucket.this : {}
  bucket   = each.value.id

  rule {
    id     = "housekeeping"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
  }

  dynamic "rule" {
    for_each = each.key == "raw" ? [1] : []
    content {
      id     = "raw-tiering"
      status = "Enabled"
      filter {}
      transition {
        days          = var.raw_infrequent_access_days
        storage_class = "STANDARD_IA"
      }
      transition {
        days          = var.raw_archive_days
        storage_class = "GLACIER_IR"
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "athena-results" ? [1] : []
    content {
      id     = "expire-query-results"
      status = "Enabled"
      filter {}
      expiration {
        days = var.athena_results_days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
