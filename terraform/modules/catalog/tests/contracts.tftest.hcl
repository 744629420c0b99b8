# The catalog is the contracts: every table's columns and partition keys equal what its contract
# (domains/<domain>/*.yaml) or model (domains/<domain>/models/*.yaml) declares. The tables come in through the
# manifest `lakehouse package` derives; these assertions read the YAML files themselves.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  contracts_dir = "../../../domains"
  name          = "lh-test"
  databases     = { raw = "lh_test_raw", silver = "lh_test_silver", gold = "lh_test_gold" }
  buckets = {
    raw              = "lh-test-raw"
    silver           = "lh-test-silver"
    gold             = "lh-test-gold"
    "athena-results" = "lh-test-athena-results"
    artifacts        = "lh-test-artifacts"
    logs             = "lh-test-logs"
  }
  tables           = jsondecode(file("../../../build/terraform/manifest.json")).tables
  crawled_datasets = [for n, d in jsondecode(file("../../../build/terraform/manifest.json")).datasets : n if d.crawl]
  crawler_role_arn = "arn:aws:iam::123456789012:role/lh-test-crawler"
  kms_key_arn      = "arn:aws:kms:eu-west-1:123456789012:key/test-key"
}

run "every_contract_has_its_tables_in_every_zone" {
  assert {
    condition = alltrue([
      for f in fileset(var.contracts_dir, "*/*.yaml") : alltrue([
        for key in ["raw.%s", "silver.%s", "silver.%s_quarantine"] :
        contains(keys(aws_glue_catalog_table.this), format(key, yamldecode(file("${var.contracts_dir}/${f}")).name))
      ])
    ])
    error_message = "a contract has no raw, silver or quarantine table"
  }
}

run "raw_tables_have_the_contract_columns_and_time_partitions" {
  assert {
    condition = alltrue([
      for f in fileset(var.contracts_dir, "*/*.yaml") : (
        [for c in aws_glue_catalog_table.this["raw.${yamldecode(file("${var.contracts_dir}/${f}")).name}"].storage_descriptor[0].columns : c.name]
        == [for c in yamldecode(file("${var.contracts_dir}/${f}")).columns : c.name]
        && [for p in aws_glue_catalog_table.this["raw.${yamldecode(file("${var.contracts_dir}/${f}")).name}"].partition_keys : p.name]
        == yamldecode(file("${var.contracts_dir}/${f}")).zones.raw.partitions
      )
    ])
    error_message = "a raw table's columns or partition keys differ from its contract"
  }
  assert {
    condition = alltrue([
      for k, t in aws_glue_catalog_table.this : t.parameters["projection.enabled"] == "true" &&
      startswith(t.parameters["storage.location.template"], "s3://lh-test-raw/") if startswith(k, "raw.")
    ])
    error_message = "raw tables must project their partitions over the raw bucket's layout"
  }
}

run "silver_tables_have_the_contract_columns_and_partitions" {
  assert {
    condition = alltrue([
      for f in fileset(var.contracts_dir, "*/*.yaml") : anytrue([
        for c in yamldecode(file("${var.contracts_dir}/${f}")).columns : try(c.flatten, false)
        ]) || (
        slice(
          [for c in aws_glue_catalog_table.this["silver.${yamldecode(file("${var.contracts_dir}/${f}")).name}"].storage_descriptor[0].columns : { name = c.name, type = c.type }],
          0, length(yamldecode(file("${var.contracts_dir}/${f}")).columns)
        )
        == [for c in yamldecode(file("${var.contracts_dir}/${f}")).columns : { name = c.name, type = c.type }]
      )
    ])
    error_message = "a silver table's columns differ from its contract (name and type, in order)"
  }
  assert {
    # a flattened struct is one silver column per field, named <column>_<field>, never the struct itself
    condition = alltrue(flatten([
      for f in fileset(var.contracts_dir, "*/*.yaml") : [
        for c in yamldecode(file("${var.contracts_dir}/${f}")).columns : (
          length([
            for t in aws_glue_catalog_table.this["silver.${yamldecode(file("${var.contracts_dir}/${f}")).name}"].storage_descriptor[0].columns :
            t if startswith(t.name, "${c.name}_")
          ]) == length(split(",", c.type))
          && !contains([
            for t in aws_glue_catalog_table.this["silver.${yamldecode(file("${var.contracts_dir}/${f}")).name}"].storage_descriptor[0].columns : t.name
          ], c.name)
        ) if try(c.flatten, false)
      ]
    ]))
    error_message = "a flattened struct column is not one silver column per field"
  }
  assert {
    condition = alltrue([
      for f in fileset(var.contracts_dir, "*/*.yaml") : (
        [for p in aws_glue_catalog_table.this["silver.${yamldecode(file("${var.contracts_dir}/${f}")).name}"].partition_keys : { name = p.name, type = p.type }]
        == [for p in try(yamldecode(file("${var.contracts_dir}/${f}")).zones.silver.partitions, []) : { name = p.name, type = p.type }]
      )
    ])
    error_message = "a silver table's partition keys differ from its contract"
  }
  assert {
    condition = alltrue([
      for k, t in aws_glue_catalog_table.this : !contains(keys(t.parameters), "projection.enabled") if !startswith(k, "raw.")
    ])
    error_message = "silver and gold tables are published as registered partitions: no projection"
  }
}

run "gold_tables_have_the_star_schema_columns_and_partitions" {
  assert {
    condition = alltrue(flatten([
      for f in fileset(var.contracts_dir, "*/*.yaml") : [
        for fact in try(yamldecode(file("${var.contracts_dir}/${f}")).star.facts, []) : (
          [for c in aws_glue_catalog_table.this["gold.${fact.name}"].storage_descriptor[0].columns : { name = c.name, type = c.type }
          if contains([for fc in fact.columns : fc.name], c.name)]
          == [for c in fact.columns : { name = c.name, type = c.type }]
          && [for p in aws_glue_catalog_table.this["gold.${fact.name}"].partition_keys : { name = p.name, type = p.type }]
          == [for p in try(fact.partitions, []) : { name = p.name, type = p.type }]
        )
      ]
    ]))
    error_message = "a fact table's columns or partition keys differ from its contract's star mapping"
  }
  assert {
    condition = alltrue(flatten([
      for f in fileset(var.contracts_dir, "*/*.yaml") : [
        for dim in try(yamldecode(file("${var.contracts_dir}/${f}")).star.dimensions, []) : (
          try(dim.kind, "entity") == "calendar" ||
          [for c in aws_glue_catalog_table.this["gold.${dim.name}"].storage_descriptor[0].columns : c.name]
          == concat([dim.surrogate_key], [for c in try(dim.columns, []) : c.name])
        )
      ]
    ]))
    error_message = "a dimension table's columns differ from its contract's star mapping"
  }
  assert {
    condition = alltrue(flatten([
      for f in fileset(var.contracts_dir, "*/models/*.yaml") : [
        for t in yamldecode(file("${var.contracts_dir}/${f}")).tables : (
          [for c in aws_glue_catalog_table.this["gold.${t.name}"].storage_descriptor[0].columns : { name = c.name, type = c.type }]
          == [for c in t.columns : { name = c.name, type = c.type }]
          && [for p in aws_glue_catalog_table.this["gold.${t.name}"].partition_keys : { name = p.name, type = p.type }]
          == [for p in try(t.partitions, []) : { name = p.name, type = p.type }]
        )
      ]
    ]))
    error_message = "a model table's columns or partition keys differ from its model file"
  }
}

run "tables_live_in_their_zone" {
  assert {
    condition = alltrue([
      for k, t in aws_glue_catalog_table.this :
      t.database_name == var.databases[split(".", k)[0]] &&
      startswith(t.storage_descriptor[0].location, "s3://${var.buckets[split(".", k)[0]]}/")
    ])
    error_message = "a table is outside its zone's database or bucket"
  }
}

run "crawlers_never_rewrite_a_table" {
  variables {
    crawled_datasets = ["clickstream"]
  }
  assert {
    condition = alltrue([
      for c in aws_glue_crawler.raw :
      c.schema_change_policy[0].update_behavior == "LOG" && c.schema_change_policy[0].delete_behavior == "LOG" &&
      c.recrawl_policy[0].recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY" &&
      jsondecode(c.configuration).CrawlerOutput.Partitions.AddOrUpdateBehavior == "InheritFromTable" &&
      jsondecode(c.configuration).Grouping.TableGroupingPolicy == "CombineCompatibleSchemas" &&
      c.security_configuration == aws_glue_security_configuration.this.name
    ]) && length(aws_glue_crawler.raw) == 1
    error_message = "crawlers must log schema changes, crawl new folders only and inherit the table's schema"
  }
}

run "catalog_and_jobs_are_encrypted" {
  assert {
    condition = (
      aws_glue_security_configuration.this.encryption_configuration[0].s3_encryption[0].kms_key_arn == var.kms_key_arn &&
      aws_glue_security_configuration.this.encryption_configuration[0].cloudwatch_encryption[0].cloudwatch_encryption_mode == "SSE-KMS" &&
      aws_glue_security_configuration.this.encryption_configuration[0].job_bookmarks_encryption[0].job_bookmarks_encryption_mode == "CSE-KMS"
    )
    error_message = "the Glue security configuration must encrypt with the environment's key"
  }
}
