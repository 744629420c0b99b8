# staging is production-shaped at a smaller size and protected from an accidental destroy.
variables {
  project = "lhtest"
}

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "staging_is_protected_and_mid_sized" {
  assert {
    condition     = !output.lakehouse.profile.force_destroy && output.lakehouse.profile.key_deletion_window_days == 30
    error_message = "staging data must survive a destroy, and its key wait 30 days"
  }
  assert {
    condition     = jsonencode(output.lakehouse.profile.glue_capacity) == jsonencode([{ worker_type = "G.1X", workers = 4, timeout_minutes = 60 }])
    error_message = "staging jobs run on 4 G.1X workers with a 60-minute timeout"
  }
  assert {
    condition     = jsonencode(output.lakehouse.profile.log_retention_days) == jsonencode([30]) && output.lakehouse.profile.athena_bytes_cutoff == 10737418240
    error_message = "staging keeps logs 30 days and caps a query at 10 GiB"
  }
  assert {
    condition     = jsonencode(output.lakehouse.profile.alert_subscriptions) == jsonencode(["data-platform-staging@example.com"]) && output.lakehouse.profile.warehouse_enabled && output.lakehouse.profile.warehouse_base_capacity == 8
    error_message = "staging alerts the team and runs an 8-RPU Redshift"
  }
}
