# dev is small and disposable: its data may be destroyed with it, nobody is paged.
variables {
  project = "lhtest"
}

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "dev_is_small_and_disposable" {
  assert {
    condition     = output.lakehouse.profile.force_destroy && output.lakehouse.profile.key_deletion_window_days == 7
    error_message = "dev buckets must be destroyable and its key deletable after 7 days"
  }
  assert {
    condition     = jsonencode(output.lakehouse.profile.glue_capacity) == jsonencode([{ worker_type = "G.1X", workers = 2, timeout_minutes = 30 }])
    error_message = "dev jobs run on 2 G.1X workers with a 30-minute timeout"
  }
  assert {
    condition     = jsonencode(output.lakehouse.profile.log_retention_days) == jsonencode([14]) && output.lakehouse.profile.athena_bytes_cutoff == 1073741824
    error_message = "dev keeps logs 14 days and caps a query at 1 GiB"
  }
  assert {
    condition     = length(output.lakehouse.profile.alert_subscriptions) == 0 && !output.lakehouse.profile.warehouse_enabled
    error_message = "dev pages nobody and has no Redshift"
  }
}
