# The environment's KMS key and one least-privilege IAM role per component:
# - crawler: reads the raw prefixes of datasets that ask for a crawler, updates their raw tables;
# - one role per Glue job: reads and writes exactly the prefixes and tables the manifest lists for it;
# - one role per Lambda function: what its handler does and nothing else;
# - Redshift Spectrum: reads the gold zone and its catalog tables.
# No statement grants a wildcard action, and data statements name buckets, prefixes and tables.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name
  s3        = { for zone, b in var.buckets : zone => "arn:${local.partition}:s3:::${b}" }
  catalog   = "arn:${local.partition}:glue:${local.region}:${local.account}:catalog"
  glue_arn  = "arn:${local.partition}:glue:${local.region}:${local.account}"

  # "zone.table" -> the table's ARN
  table_arn = { for zone, db in var.databases : zone => "${local.glue_arn}:table/${db}" }
  db_arn    = { for zone, db in var.databases : zone => "${local.glue_arn}:database/${db}" }

  job_names    = { for k, j in var.jobs : k => "${var.name}-${j.name}-${j.stage}" }
  job_arns     = [for k, n in local.job_names : "${local.glue_arn}:job/${n}"]
  crawler_arns = [for d in var.crawled_datasets : "${local.glue_arn}:crawler/${var.name}-${d}-raw"]
  topic_arn    = "arn:${local.partition}:sns:${local.region}:${local.account}:${var.alerts_topic_name}"
  dlq_arn      = "arn:${local.partition}:sqs:${local.region}:${local.account}:${var.dlq_name}"
}

# --- KMS -------------------------------------------------------------------------------------------

resource "aws_kms_key" "this" {
  description             = "${var.name} lakehouse data key"
  enable_key_rotation     = true
  deletion_window_in_days = var.key_deletion_window_days
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

locals {
  key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "LakehouseRolesUseTheKey"
        Effect    = "Allow"
        Principal = { AWS = concat([for r in aws_iam_role.component : r.arn], var.key_user_arns) }
        Action = [
          "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey",
        ]
        Resource = "*"
      },
      {
        Sid       = "CloudWatchLogsEncryptsItsGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:*" }
        }
      },
      {
        Sid       = "AlarmsPublishToTheEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      },
      {
        # EventBridge delivering dead letters to the encrypted queue: the EventBridge guide's key
        # policy for an SSE-KMS dead-letter queue conditions on the rule's ARN (aws:SourceArn), which
        # EventBridge sends; aws:SourceAccount alone may be absent, and the dead letter is dropped.
        Sid       = "EventBridgeDeadLettersToTheEncryptedQueue"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = { ArnLike = { "aws:SourceArn" = "arn:${local.partition}:events:${local.region}:${local.account}:rule/${var.name}-*" } }
      },
    ]
  }
}

resource "aws_kms_key_policy" "this" {
  key_id = aws_kms_key.this.id
  policy = jsonencode(local.key_policy)
}

# --- roles -----------------------------------------------------------------------------------------

locals {
  assume_policy = {
    for service in ["glue.amazonaws.com", "lambda.amazonaws.com", "redshift.amazonaws.com"] : service => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Service = service }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      }]
    })
  }
}

locals {
  # role key -> {service, policy JSON}
  role_specs = merge(
    { for k, j in var.jobs : "job-${k}" => { service = "glue.amazonaws.com", policy = jsonencode(local.job_policy[k]) } },
    length(var.crawled_datasets) > 0 ? { crawler = { service = "glue.amazonaws.com", policy = jsonencode(local.crawler_policy) } } : {},
    { for h, n in var.functions : "fn-${h}" => { service = "lambda.amazonaws.com", policy = jsonencode(local.function_policy[h]) } },
    { spectrum = { service = "redshift.amazonaws.com", policy = jsonencode(local.spectrum_policy) } },
  )
  # The environment's key, and the account's catalog key when the catalog is encrypted with one
  # (Glue needs the caller's permission on it to read or write any catalog entry).
  use_key = {
    Sid      = "UseTheKey"
    Effect   = "Allow"
    Action   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    Resource = compact([aws_kms_key.this.arn, var.catalog_kms_key_arn])
  }
  catalog_read  = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
  catalog_write = ["glue:UpdateTable", "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition", "glue:DeletePartition", "glue:BatchDeletePartition"]
}

resource "aws_iam_role" "component" {
  for_each           = local.role_specs
  name               = "${var.name}-${replace(each.key, "_", "-")}"
  assume_role_policy = local.assume_policy[each.value.service]
  tags               = var.tags
}

resource "aws_iam_role_policy" "component" {
  for_each = local.role_specs
  name     = "least-privilege"
  role     = aws_iam_role.component[each.key].id
  policy   = each.value.policy
}

# --- Glue jobs: their own prefixes and tables only --------------------------------------------------

locals {
  job_policy = {
    for k, j in var.jobs : k => {
      Version = "2012-10-17"
      Statement = [
        {
          Sid    = "ReadInputsAndOwnOutputs"
          Effect = "Allow"
          Action = ["s3:GetObject"]
          Resource = distinct(concat(
            [for r in j.access.s3_read : "${local.s3[r.zone]}/${r.prefix}*"],
            [for w in j.access.s3_write : "${local.s3[w.zone]}/${w.prefix}*"],
          ))
        },
        {
          Sid       = "ListOwnPrefixes"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = distinct([for r in concat(j.access.s3_read, j.access.s3_write) : local.s3[r.zone]])
          Condition = { StringLike = { "s3:prefix" = distinct([for r in concat(j.access.s3_read, j.access.s3_write) : "${r.prefix}*"]) } }
        },
        {
          Sid      = "WriteOwnOutputs"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:DeleteObject"]
          Resource = [for w in j.access.s3_write : "${local.s3[w.zone]}/${w.prefix}*"]
        },
        {
          Sid      = "ReadArtifacts"
          Effect   = "Allow"
          Action   = ["s3:GetObject"]
          Resource = ["${local.s3["artifacts"]}/glue/*", "${local.s3["artifacts"]}/domains/*"]
        },
        {
          Sid      = "OwnTempAndSparkUi"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
          Resource = ["${local.s3["artifacts"]}/glue-tmp/${local.job_names[k]}/*"]
        },
        {
          Sid       = "ListOwnTemp"
          Effect    = "Allow"
          Action    = ["s3:ListBucket"]
          Resource  = local.s3["artifacts"]
          Condition = { StringLike = { "s3:prefix" = ["glue-tmp/${local.job_names[k]}/*"] } }
        },
        {
          Sid    = "OwnCatalogTables"
          Effect = "Allow"
          Action = concat(local.catalog_read, local.catalog_write)
          Resource = concat(
            [local.catalog],
            distinct([for t in j.access.tables : local.db_arn[split(".", t)[0]]]),
            [for t in j.access.tables : "${local.table_arn[split(".", t)[0]]}/${split(".", t)[1]}"],
          )
        },
        local.use_key,
        {
          Sid      = "OwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
          Resource = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws-glue/jobs/${var.name}/*"
        },
        {
          # PutMetricData has no resource type; the condition keeps it to Glue's namespace.
          Sid       = "GlueMetrics"
          Effect    = "Allow"
          Action    = ["cloudwatch:PutMetricData"]
          Resource  = "*"
          Condition = { StringEquals = { "cloudwatch:namespace" = "Glue" } }
        },
      ]
    }
  }
}

# --- crawler: raw prefixes of crawled datasets ------------------------------------------------------

locals {
  crawler_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadCrawledPrefixes"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = [for d in var.crawled_datasets : "${local.s3["raw"]}/${d}/*"]
      },
      {
        Sid       = "ListCrawledPrefixes"
        Effect    = "Allow"
        Action    = ["s3:ListBucket"]
        Resource  = local.s3["raw"]
        Condition = { StringLike = { "s3:prefix" = [for d in var.crawled_datasets : "${d}/*"] } }
      },
      {
        Sid      = "UpdateCrawledTables"
        Effect   = "Allow"
        Action   = concat(local.catalog_read, ["glue:UpdateTable", "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition"])
        Resource = concat([local.catalog, local.db_arn["raw"]], [for d in var.crawled_datasets : "${local.table_arn["raw"]}/${d}"])
      },
      local.use_key,
      {
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
        Resource = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws-glue/crawlers*"
      },
    ]
  }
}

# --- Lambda functions: what each handler does ----------------------------------------------------------

locals {
  requests = "${local.s3["silver"]}/_ledger/*/_requested/*"
  # handler -> statements beyond the ones every function has
  function_statements = {
    on_raw_object = [
      { Sid = "RequestRuns", Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = [local.requests] },
      { Sid = "RegisterRawPartitions", Effect = "Allow", Action = local.catalog_read_write_partitions, Resource = concat([local.catalog, local.db_arn["raw"]], ["${local.table_arn["raw"]}/*"]) },
      { Sid = "StartPipelineRuns", Effect = "Allow", Action = ["glue:StartJobRun", "glue:StartCrawler"], Resource = concat(local.job_arns, local.crawler_arns) },
    ]
    on_crawler_state = [
      { Sid = "RequestRuns", Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = [local.requests] },
      { Sid = "StartPipelineRuns", Effect = "Allow", Action = ["glue:StartJobRun"], Resource = local.job_arns },
      { Sid = "PublishAlerts", Effect = "Allow", Action = ["sns:Publish"], Resource = local.topic_arn },
    ]
    on_job_state = [
      { Sid = "CompleteRunPublishes", Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = ["${local.s3["silver"]}/_ledger/*"] },
      {
        Sid      = "PublishPartitions"
        Effect   = "Allow"
        Action   = concat(local.catalog_read, local.catalog_write)
        Resource = concat([local.catalog, local.db_arn["silver"], local.db_arn["gold"]], ["${local.table_arn["silver"]}/*", "${local.table_arn["gold"]}/*"])
      },
      { Sid = "StartPipelineRuns", Effect = "Allow", Action = ["glue:StartJobRun"], Resource = local.job_arns },
      { Sid = "PublishAlerts", Effect = "Allow", Action = ["sns:Publish"], Resource = local.topic_arn },
    ]
    landed_alert = [
      { Sid = "ReadAlertDatasetFiles", Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.s3["raw"]}/${var.alert_dataset}/*"] },
      { Sid = "PublishAlerts", Effect = "Allow", Action = ["sns:Publish"], Resource = local.topic_arn },
    ]
  }
  catalog_read_write_partitions = concat(local.catalog_read, ["glue:CreatePartition", "glue:BatchCreatePartition"])

  function_policy = {
    for h, fn in var.functions : h => {
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid      = "ReadContracts"
            Effect   = "Allow"
            Action   = ["s3:GetObject"]
            Resource = "${local.s3["artifacts"]}/domains/*"
          },
          {
            Sid       = "ListContracts"
            Effect    = "Allow"
            Action    = ["s3:ListBucket"]
            Resource  = local.s3["artifacts"]
            Condition = { StringLike = { "s3:prefix" = ["domains/*"] } }
          },
          {
            Sid      = "OwnDeliveryMarkers"
            Effect   = "Allow"
            Action   = ["s3:GetObject", "s3:PutObject"]
            Resource = "${local.s3["silver"]}/_automation/${h}/*"
          },
          {
            Sid       = "ListOwnMarkers"
            Effect    = "Allow"
            Action    = ["s3:ListBucket"]
            Resource  = local.s3["silver"]
            Condition = { StringLike = { "s3:prefix" = ["_automation/${h}/*", "_ledger/*"] } }
          },
          { Sid = "DeadLetters", Effect = "Allow", Action = ["sqs:SendMessage"], Resource = local.dlq_arn },
          local.use_key,
          {
            Sid      = "OwnLogs"
            Effect   = "Allow"
            Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
            Resource = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/aws/lambda/${fn}:*"
          },
          {
            # X-Ray segments have no resource type.
            Sid      = "Tracing"
            Effect   = "Allow"
            Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
            Resource = "*"
          },
        ],
        local.function_statements[h],
      )
    }
  }
}

# --- Redshift Spectrum: the gold zone, read-only ------------------------------------------------------

locals {
  spectrum_policy = {
    Version = "2012-10-17"
    Statement = [
      { Sid = "ReadGold", Effect = "Allow", Action = ["s3:GetObject"], Resource = "${local.s3["gold"]}/*" },
      { Sid = "ListGold", Effect = "Allow", Action = ["s3:ListBucket", "s3:GetBucketLocation"], Resource = local.s3["gold"] },
      {
        Sid      = "ReadGoldCatalog"
        Effect   = "Allow"
        Action   = concat(local.catalog_read, ["glue:GetDatabases"])
        Resource = [local.catalog, local.db_arn["gold"], "${local.table_arn["gold"]}/*"]
      },
      { Sid = "UseTheKey", Effect = "Allow", Action = ["kms:Decrypt", "kms:DescribeKey"], Resource = compact([aws_kms_key.this.arn, var.catalog_kms_key_arn]) },
    ]
  }
}
