# Glue databases per zone and every table of every contract, exactly as the manifest derives them
# (the local deploy creates the same tables from the same code). Raw tables use partition projection
# over the year/month/day/hour layout; silver and gold tables point at run-scoped locations that the
# jobs publish as registered partitions, which Redshift Spectrum needs, so they have no projection.

resource "aws_glue_catalog_database" "zone" {
  for_each     = var.databases
  name         = each.value
  description  = "${var.name} ${each.key} zone"
  location_uri = "s3://${var.buckets[each.key]}/"
  tags         = var.tags
}

resource "aws_glue_catalog_table" "this" {
  for_each      = var.tables
  database_name = aws_glue_catalog_database.zone[each.value.zone].name
  name          = each.value.name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"
  parameters = {
    for k, v in each.value.parameters : k => replace(v, "$${bucket}", var.buckets[each.value.zone])
  }

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = "s3://${var.buckets[each.value.zone]}/${each.value.prefix}"
    input_format  = each.value.input_format
    output_format = each.value.output_format

    ser_de_info {
      serialization_library = each.value.serde
      parameters            = each.value.serde_parameters
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

resource "aws_glue_security_configuration" "this" {
  name = var.name

  encryption_configuration {
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }
    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }
  }
}

# The Data Catalog's encryption setting is account- and region-wide: it is not set here, per
# environment, but once per account by terraform/account, with a key no environment can destroy.

resource "aws_glue_crawler" "raw" {
  for_each               = toset(var.crawled_datasets)
  name                   = "${var.name}-${each.value}-raw"
  role                   = var.crawler_role_arn
  database_name          = aws_glue_catalog_database.zone["raw"].name
  security_configuration = aws_glue_security_configuration.this.name
  tags                   = var.tags

  # The table Terraform defined stays the truth: new folders only, partitions inherit the table's
  # schema, compatible files group into one table, and schema changes are logged, never applied.
  s3_target {
    path = "s3://${var.buckets["raw"]}/${each.value}/"
  }

  schema_change_policy {
    update_behavior = "LOG"
    delete_behavior = "LOG"
  }

  recrawl_policy {
    recrawl_behavior = "CRAWL_NEW_FOLDERS_ONLY"
  }

  configuration = jsonencode({
    Version = 1.0
    CrawlerOutput = {
      Partitions = { AddOrUpdateBehavior = "InheritFromTable" }
    }
    Grouping = { TableGroupingPolicy = "CombineCompatibleSchemas" }
  })
}
