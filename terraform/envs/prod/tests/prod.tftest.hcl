# prod is sized for the real volume, keeps its data and logs, and pages the on-call rotation.
variables {
  project = "lhtest"
}

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "prod_is_protected_sized_and_paged" {
  assert {
    condition     = !output.lakehouse.profile.force_destroy && output.lakehouse.profile.key_deletion_window_days == 30
    error_message = "prod data must survive a destroy, and its key wait 30 days"
  }
  assert {
    condition     = jsonencode(output.lakehouse.profile.glue_capacity) == jsonencode([{ worker_type = "G.2X", workers = 10, timeout_minutes = 120 }])
    error_message = "prod jobs run on 10 G.2X workers with a 120-minute timeout"
  }
  assert {
    condition     = jsonencode(output.lakehouse.profile.log_retention_days) == jsonencode([365]) && output.lakehouse.profile.athena_bytes_cutoff == 107374182400
    error_message = "prod keeps logs a year and caps a query at 100 GiB"
  }
  assert {
    condition     = jsonencode(output.lakehouse.profile.alert_subscriptions) == jsonencode(["data-platform-oncall@example.com"]) && output.lakehouse.profile.warehouse_enabled && output.lakehouse.profile.warehouse_base_capacity == 32
    error_message = "prod pages the on-call rotation and runs a 32-RPU Redshift"
  }
}
