# The lakehouse of one environment: every concern module, wired through names derived once here
# (the same <project>-<env>-<zone> scheme as lakehouse.settings) and the manifest `lakehouse package`
# derives from the contracts. Adding a contract adds its tables, jobs, crawler and permissions with no
# change to this file.

locals {
  name     = "${var.project}-${var.env}"
  manifest = jsondecode(file("${var.build_dir}/manifest.json"))
  zones    = ["raw", "silver", "gold", "athena-results", "artifacts", "logs"]
  buckets  = { for z in local.zones : z => "${local.name}-${z}" }
  databases = {
    for z in ["raw", "silver", "gold"] : z => replace("${var.project}_${var.env}_${z}", "-", "_")
  }
  crawled_datasets = sort([for n, d in local.manifest.datasets : n if d.crawl])
  contract_files = concat(
    [for d in values(local.manifest.datasets) : d.contract],
    [for m in values(local.manifest.models) : m.file],
  )
  functions = {
    for h in ["on_raw_object", "on_crawler_state", "on_job_state", "landed_alert"] :
    h => "${local.name}-${replace(h, "_", "-")}"
  }
  dlq_name    = "${local.name}-automation-dlq"
  package_zip = "${var.build_dir}/lakehouse.zip"
  tags        = merge(var.tags, { project = var.project, env = var.env, "managed-by" = "terraform" })

  # An emulator without Glue or Athena (LocalStack's free edition) gets the rest of the composition.
  glue   = !contains(var.unavailable_services, "glue")
  athena = !contains(var.unavailable_services, "athena")
  jobs   = local.glue ? local.manifest.jobs : {}
}

# Every derived name within its AWS limit, checked before anything is planned against the account.
module "names" {
  source = "../modules/names"
  names = {
    bucket = values(local.buckets)
    role = [for k in concat(
      [for j in keys(local.manifest.jobs) : "job-${j}"], length(local.crawled_datasets) > 0 ? ["crawler"] : [],
      [for h in keys(local.functions) : "fn-${h}"], ["spectrum"],
    ) : "${local.name}-${replace(k, "_", "-")}"]
    function = values(local.functions)
    job      = [for j in values(local.manifest.jobs) : "${local.name}-${j.name}-${j.stage}"]
    database = values(local.databases)
  }
}

module "security" {
  source                   = "../modules/security"
  name                     = local.name
  buckets                  = local.buckets
  databases                = local.databases
  jobs                     = local.manifest.jobs
  crawled_datasets         = local.crawled_datasets
  alert_dataset            = var.alert_dataset
  functions                = local.functions
  alerts_topic_name        = "${local.name}-alerts"
  dlq_name                 = local.dlq_name
  key_deletion_window_days = var.deletion_protection ? 30 : 7
  key_user_arns            = var.key_user_arns
  catalog_kms_key_arn      = var.catalog_kms_key_arn
  tags                     = local.tags
}

module "storage" {
  source                     = "../modules/storage"
  buckets                    = local.buckets
  kms_key_arn                = module.security.kms_key_arn
  force_destroy              = !var.deletion_protection
  deny_statements            = !var.local_endpoint
  lifecycle_rules            = !var.local_endpoint
  raw_infrequent_access_days = var.raw_infrequent_access_days
  raw_archive_days           = var.raw_archive_days
  noncurrent_version_days    = var.noncurrent_version_days
  athena_results_days        = var.athena_results_days
  tags                       = local.tags
}

module "catalog" {
  count            = local.glue ? 1 : 0
  source           = "../modules/catalog"
  name             = local.name
  databases        = local.databases
  buckets          = module.storage.bucket_names
  tables           = local.manifest.tables
  crawled_datasets = local.crawled_datasets
  crawler_role_arn = module.security.crawler_role_arn
  kms_key_arn      = module.security.kms_key_arn
  tags             = local.tags
}

module "etl" {
  source                 = "../modules/etl"
  name                   = local.name
  project                = var.project
  env                    = var.env
  artifacts_bucket       = module.storage.bucket_names["artifacts"]
  source_root            = var.source_root
  domain_files_root      = var.build_dir # what `lakehouse package` built from, copied there
  package_zip            = local.package_zip
  contract_files         = local.contract_files
  jobs                   = local.jobs
  job_role_arns          = module.security.job_role_arns
  security_configuration = one(module.catalog[*].security_configuration)
  worker_type            = var.glue_worker_type
  number_of_workers      = var.glue_workers
  timeout_minutes        = var.glue_timeout_minutes
  log_retention_days     = var.log_retention_days
  retention_hours        = var.retention_hours
  kms_key_arn            = module.security.kms_key_arn
  tags                   = local.tags
}

module "monitoring" {
  source                     = "../modules/monitoring"
  name                       = local.name
  kms_key_arn                = module.security.kms_key_arn
  alert_emails               = var.alert_emails
  job_names                  = [for j in values(local.jobs) : "${local.name}-${j.name}-${j.stage}"]
  job_duration_alarm_minutes = var.job_duration_alarm_minutes
  function_names             = values(local.functions)
  dlq_name                   = local.dlq_name
  tags                       = local.tags
}

module "events" {
  source             = "../modules/events"
  name               = local.name
  project            = var.project
  env                = var.env
  functions          = local.functions
  function_role_arns = module.security.function_role_arns
  artifacts_bucket   = module.storage.bucket_names["artifacts"]
  package_s3_key     = module.etl.package_s3_key
  package_zip        = local.package_zip
  raw_bucket         = module.storage.bucket_names["raw"]
  contracts_uri      = module.etl.contracts_uri
  alert_dataset      = var.alert_dataset
  alerts_topic_arn   = module.monitoring.alerts_topic_arn
  dlq_name           = local.dlq_name
  kms_key_arn        = module.security.kms_key_arn
  log_retention_days = var.log_retention_days
  runtime            = var.lambda_runtime
  retention_hours    = var.retention_hours
  lock_ttl_minutes   = var.glue_timeout_minutes + 5
  deliver_to_queues  = var.local_endpoint
  tags               = local.tags
}

module "query" {
  count                = local.athena ? 1 : 0
  source               = "../modules/query"
  name                 = local.name
  results_bucket       = module.storage.bucket_names["athena-results"]
  kms_key_arn          = module.security.kms_key_arn
  bytes_scanned_cutoff = var.athena_bytes_scanned_cutoff
  database             = local.databases["gold"]
  queries              = local.manifest.queries
  source_root          = var.build_dir # the query files `lakehouse package` built from, copied there
  named_queries        = !var.local_endpoint
  force_destroy        = !var.deletion_protection
  tags                 = local.tags
}

module "warehouse" {
  source               = "../modules/warehouse"
  enabled              = var.warehouse_enabled
  name                 = local.name
  gold_database        = local.databases["gold"]
  spectrum_role_arn    = module.security.spectrum_role_arn
  kms_key_arn          = module.security.kms_key_arn
  base_capacity        = var.warehouse_base_capacity
  subnet_ids           = var.warehouse_subnet_ids
  security_group_ids   = var.warehouse_security_group_ids
  enhanced_vpc_routing = var.warehouse_enhanced_vpc_routing
  tags                 = local.tags
}

# catalog and query became optional (count): existing states keep their resources.
moved {
  from = module.catalog
  to   = module.catalog[0]
}

moved {
  from = module.query
  to   = module.query[0]
}
