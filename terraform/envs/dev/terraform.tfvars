# dev: small and disposable. Data may be destroyed with the environment.
project                     = "lakehouse"
env                         = "dev"
region                      = "eu-west-1"
glue_worker_type            = "G.1X"
glue_workers                = 2
glue_timeout_minutes        = 30
job_duration_alarm_minutes  = 20
raw_infrequent_access_days  = 30
raw_archive_days            = 90
noncurrent_version_days     = 7
athena_results_days         = 3
athena_bytes_scanned_cutoff = 1073741824 # 1 GiB
log_retention_days          = 14
deletion_protection         = false
alert_emails                = []
manage_catalog_encryption   = true
warehouse_enabled           = false
