# Glue 5 jobs from the manifest: one per dataset stage and one per gold model. Their scripts
# (glue/jobs), contracts and models, and the lakehouse package are uploaded to the artifacts bucket.
# The package key carries its content hash, so a change deploys a new object and every job and
# Lambda points at it in the same apply; scripts and contracts keep stable keys (the Lambdas list
# domains/) and are re-uploaded when their hash changes.

locals {
  log_prefix  = "/aws-glue/jobs/${var.name}"
  package_key = "glue/lakehouse-${substr(filesha256(var.package_zip), 0, 16)}.zip"
  scripts     = toset([for j in var.jobs : j.script])
  # contracts and models: the copies `lakehouse package` made of what it built from
  domain_files_root = coalesce(var.domain_files_root, var.source_root)
}

resource "aws_s3_object" "package" {
  bucket      = var.artifacts_bucket
  key         = local.package_key
  source      = var.package_zip
  source_hash = filemd5(var.package_zip)
  tags        = var.tags
}

# Job scripts and the contracts and models they read, at their repository paths.
resource "aws_s3_object" "source" {
  for_each    = toset(concat(tolist(local.scripts), var.contract_files))
  bucket      = var.artifacts_bucket
  key         = each.value
  source      = "${contains(var.contract_files, each.value) ? local.domain_files_root : var.source_root}/${each.value}"
  source_hash = filemd5("${contains(var.contract_files, each.value) ? local.domain_files_root : var.source_root}/${each.value}")
  tags        = var.tags
}

resource "aws_glue_job" "this" {
  for_each               = var.jobs
  name                   = "${var.name}-${each.value.name}-${each.value.stage}"
  description            = "${each.value.stage} of ${each.value.name}"
  role_arn               = var.job_role_arns[each.key]
  glue_version           = var.glue_version
  worker_type            = var.worker_type
  number_of_workers      = var.number_of_workers
  timeout                = var.timeout_minutes
  max_retries            = 0
  execution_class        = "STANDARD" # what Glue reports when unset: stated, so a second plan is empty
  security_configuration = var.security_configuration
  tags                   = var.tags

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "s3://${var.artifacts_bucket}/${aws_s3_object.source[each.value.script].key}"
  }

  execution_property {
    max_concurrent_runs = 1
  }

  default_arguments = merge(
    {
      for k, v in each.value.arguments : k => (
        endswith(k, "_uri") ? "s3://${var.artifacts_bucket}/${v}" : v
      )
    },
    {
      "--project"        = var.project
      "--env"            = var.env
      "--extra-py-files" = "s3://${var.artifacts_bucket}/${aws_s3_object.package.key}"
      "--job-language"   = "python"
      # The jobs keep their own ledger of processed inputs (exactly once, crash-safe): no bookmarks.
      "--job-bookmark-option"          = "job-bookmark-disable"
      "--enable-metrics"               = "true"
      "--enable-observability-metrics" = "true"
      # Glue 5 logs continuously by default; this sends it to the groups below, which have a retention.
      "--custom-logGroup-prefix" = local.log_prefix
      "--enable-spark-ui"        = "true"
      # The job's own lock and retention (lakehouse.jobs.entry): a lock older than the job's timeout
      # can only be a dead run's; superseded run files stay retention_hours for running queries.
      "--lock_ttl_minutes"      = tostring(var.timeout_minutes + 5)
      "--retention_hours"       = tostring(var.retention_hours)
      "--spark-event-logs-path" = "s3://${var.artifacts_bucket}/glue-tmp/${var.name}-${each.value.name}-${each.value.stage}/sparkui/"
      "--TempDir"               = "s3://${var.artifacts_bucket}/glue-tmp/${var.name}-${each.value.name}-${each.value.stage}/tmp/"
    },
  )
}

# Glue's own log groups for this environment's jobs (--custom-logGroup-prefix), encrypted and expiring.
resource "aws_cloudwatch_log_group" "glue" {
  #checkov:skip=CKV_AWS_338:Retention is each environment's choice (log_retention_days: 365 in prod, 14 in dev, 1 on the local emulator); a year everywhere is a cost decision left to adopters.
  for_each          = toset(["error", "output"])
  name              = "${local.log_prefix}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}
