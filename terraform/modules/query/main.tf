# The environment's Athena workgroup (engine v3): results go to the results bucket, SSE-KMS with
# the environment's key, and clients cannot override that; every query has a bytes-scanned cap.
# Every domain's queries/*.sql (the manifest's `queries`) are saved as named queries. The views of the domains' views/ are created on
# Athena by `make views ENV=<env>` (lakehouse views --target aws), since they are SQL, not resources.

resource "aws_athena_workgroup" "this" {
  name          = var.name
  description   = "${var.name} lakehouse queries"
  force_destroy = var.force_destroy
  tags          = var.tags

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.results_bucket}/results/"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}

resource "aws_athena_named_query" "this" {
  for_each    = var.named_queries ? var.queries : {}
  name        = each.key
  description = each.value
  workgroup   = aws_athena_workgroup.this.id
  database    = var.database
  query       = file("${var.source_root}/${each.value}")
}
