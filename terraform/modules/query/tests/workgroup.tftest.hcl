# Athena: engine v3, results only in the results bucket and only SSE-KMS with the environment's key
# (clients cannot override it), a per-query scan cap, and every query file given as a named query.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                 = "lh-test"
  results_bucket       = "lh-test-athena-results"
  kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/test-key"
  bytes_scanned_cutoff = 1073741824
  database             = "lh_test_gold"
  source_root          = "../../.."
  queries = {
    daily_funnel = "domains/clickstream/queries/daily_funnel.sql"
    yearly_sales = "domains/sales/queries/yearly_sales.sql"
  }
}

run "results_are_enforced_encrypted_and_capped" {
  assert {
    condition = (
      aws_athena_workgroup.this.configuration[0].enforce_workgroup_configuration &&
      aws_athena_workgroup.this.configuration[0].engine_version[0].selected_engine_version == "Athena engine version 3" &&
      aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 1073741824 &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://lh-test-athena-results/results/" &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS" &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].kms_key_arn == var.kms_key_arn
    )
    error_message = "the workgroup must enforce engine v3, KMS-encrypted results in the results bucket and the scan cap"
  }
}

run "every_saved_query_is_a_named_query" {
  assert {
    condition = sort([for q in aws_athena_named_query.this : q.name]) == sort([
      for name, file in var.queries : name
    ]) && length(aws_athena_named_query.this) > 0
    error_message = "the query files and the named queries differ"
  }
}

run "a_scan_cap_below_athenas_minimum_is_refused" {
  command = plan
  variables {
    bytes_scanned_cutoff = 1000
  }
  expect_failures = [var.bytes_scanned_cutoff]
}
