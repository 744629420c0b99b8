# Every bucket is private, versioned and TLS-only; every data bucket is SSE-KMS under the environment's
# key with bucket keys and refuses puts asking for other encryption; access logs go to the logs bucket.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  buckets = {
    raw              = "lh-test-raw"
    silver           = "lh-test-silver"
    gold             = "lh-test-gold"
    "athena-results" = "lh-test-athena-results"
    artifacts        = "lh-test-artifacts"
    logs             = "lh-test-logs"
  }
  kms_key_arn                = "arn:aws:kms:eu-west-1:123456789012:key/test-key"
  raw_infrequent_access_days = 30
  raw_archive_days           = 90
  noncurrent_version_days    = 30
  athena_results_days        = 7
}

run "buckets_are_encrypted_with_the_environment_key" {
  assert {
    condition     = length(aws_s3_bucket_server_side_encryption_configuration.data) == 5
    error_message = "every data bucket (all but logs) must have a default encryption configuration"
  }
  assert {
    condition = alltrue([
      for zone, c in aws_s3_bucket_server_side_encryption_configuration.data : alltrue([
        for r in c.rule : r.bucket_key_enabled && alltrue([
          for d in r.apply_server_side_encryption_by_default :
          d.sse_algorithm == "aws:kms" && d.kms_master_key_id == var.kms_key_arn
        ])
      ])
    ])
    error_message = "a data bucket is not SSE-KMS with the environment's key and bucket keys"
  }
  assert {
    condition = alltrue([
      for r in aws_s3_bucket_server_side_encryption_configuration.logs.rule :
      alltrue([for d in r.apply_server_side_encryption_by_default : d.sse_algorithm == "AES256"])
    ])
    error_message = "the logs bucket must be SSE-S3: S3 server access logging cannot write to SSE-KMS buckets"
  }
}

run "every_bucket_denies_insecure_transport" {
  assert {
    condition = alltrue([
      for zone, p in aws_s3_bucket_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement :
        s.Effect == "Deny" && s.Principal == "*" && s.Action == "s3:*" &&
        try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
      ])
    ])
    error_message = "a bucket policy does not deny non-TLS access"
  }
  assert {
    condition = alltrue([
      for zone, p in aws_s3_bucket_policy.this : zone == "logs" || anytrue([
        for s in jsondecode(p.policy).Statement :
        s.Effect == "Deny" && s.Action == "s3:PutObject" &&
        try(s.Condition.StringNotEqualsIfExists["s3:x-amz-server-side-encryption"], "") == "aws:kms"
      ])
    ])
    error_message = "a data bucket policy does not deny puts that ask for other encryption"
  }
  assert {
    condition     = length(aws_s3_bucket_policy.this) == 6
    error_message = "every bucket needs a policy"
  }
}

run "buckets_are_private_versioned_and_logged" {
  assert {
    condition = alltrue([
      for b in aws_s3_bucket_public_access_block.this :
      b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets
    ])
    error_message = "public access must be blocked on every bucket"
  }
  assert {
    condition = alltrue([
      for v in aws_s3_bucket_versioning.this : v.versioning_configuration[0].status == "Enabled"
    ])
    error_message = "versioning must be enabled on every bucket"
  }
  assert {
    condition = alltrue([
      for zone, l in aws_s3_bucket_logging.this : l.target_bucket == aws_s3_bucket.this["logs"].id
    ]) && length(aws_s3_bucket_logging.this) == 5
    error_message = "every data bucket must log access to the logs bucket"
  }
}

run "lifecycle_tiers_raw_and_expires_results" {
  assert {
    condition = [
      for r in aws_s3_bucket_lifecycle_configuration.this["raw"].rule : [for t in r.transition : t.storage_class] if r.id == "raw-tiering"
    ][0] == ["STANDARD_IA", "GLACIER_IR"]
    error_message = "raw objects must move to STANDARD_IA, then GLACIER_IR"
  }
  assert {
    condition = [
      for r in aws_s3_bucket_lifecycle_configuration.this["athena-results"].rule : r.expiration[0].days if r.id == "expire-query-results"
    ] == [7]
    error_message = "Athena results must expire after athena_results_days"
  }
  assert {
    condition = alltrue([
      for lc in aws_s3_bucket_lifecycle_configuration.this : anytrue([
        for r in lc.rule : length(r.noncurrent_version_expiration) > 0
      ])
    ])
    error_message = "every bucket must expire noncurrent versions"
  }
}

run "archiving_before_thirty_days_is_refused" {
  command = plan
  variables {
    raw_archive_days = 30
  }
  expect_failures = [var.raw_archive_days]
}

run "access_logs_are_allowed_per_source_bucket_and_prefix" {
  assert {
    condition = sort([
      for s in jsondecode(aws_s3_bucket_policy.this["logs"].policy).Statement : s.Resource
      if try(s.Principal.Service, "") == "logging.s3.amazonaws.com"
      ]) == sort([for z, b in var.buckets : "${aws_s3_bucket.this["logs"].arn}/s3/${b}/*" if z != "logs"]) && alltrue([
      for z, l in aws_s3_bucket_logging.this : l.target_prefix == "s3/${var.buckets[z]}/"
    ])
    error_message = "the logs bucket must let S3 logging write each data bucket's own prefix, where that bucket logs"
  }
}

run "an_emulator_gets_no_deny_statements_and_no_lifecycle_waits" {
  variables {
    deny_statements = false
    lifecycle_rules = false
  }
  assert {
    condition = (
      jsonencode(keys(aws_s3_bucket_policy.this)) == jsonencode(["logs"]) &&
      alltrue([for s in jsondecode(aws_s3_bucket_policy.this["logs"].policy).Statement : s.Effect == "Allow"]) &&
      length(aws_s3_bucket_lifecycle_configuration.this) == 0 && length(aws_s3_bucket_server_side_encryption_configuration.data) == 5
    )
    error_message = "deny_statements = false leaves only the logs bucket's access-log grant (encryption stays the default); lifecycle_rules = false drops the rules"
  }
}
