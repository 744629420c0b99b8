# The composition of all modules for one environment: every contract in domains/ gets its tables
# and jobs (nothing to add here when a contract is added), names follow lakehouse.settings.

mock_provider "aws" {
  source = "../tests/mocks"
}

variables {
  project     = "lhtest"
  env         = "test"
  source_root = "../.."
  build_dir   = "../../build/terraform"
}

run "every_contract_has_its_tables_and_jobs" {
  assert {
    condition = alltrue(flatten([
      for f in fileset("../../domains", "*/*.yaml") : [
        for t in ["raw.%s", "silver.%s", "silver.%s_quarantine"] :
        contains(keys(output.tables), format(t, yamldecode(file("../../domains/${f}")).name))
      ]
    ]))
    error_message = "a contract in domains/ has no raw, silver or quarantine table"
  }
  assert {
    condition = alltrue([
      for f in fileset("../../domains", "*/*.yaml") :
      contains(values(output.glue_jobs), "lhtest-test-${yamldecode(file("../../domains/${f}")).name}-raw_to_silver")
    ])
    error_message = "a contract in domains/ has no raw_to_silver Glue job"
  }
  assert {
    condition = alltrue([
      for f in fileset("../../domains", "*/*.yaml") :
      contains(values(output.glue_jobs), "lhtest-test-${yamldecode(file("../../domains/${f}")).name}-silver_to_gold")
      if can(yamldecode(file("../../domains/${f}")).star.facts)
    ])
    error_message = "a contract with a star mapping has no silver_to_gold Glue job"
  }
  assert {
    condition = alltrue([
      for f in fileset("../../domains", "*/models/*.yaml") :
      contains(values(output.glue_jobs), "lhtest-test-${yamldecode(file("../../domains/${f}")).name}-build_model")
    ])
    error_message = "a model in domains/*/models has no build_model Glue job"
  }
}

run "names_follow_the_local_loop" {
  assert {
    condition     = output.buckets["raw"] == "lhtest-test-raw" && output.databases["gold"] == "lhtest_test_gold"
    error_message = "bucket and database names must match lakehouse.settings (<project>-<env>-<zone>, <project>_<env>_<zone>)"
  }
  assert {
    condition     = output.athena_workgroup == "lhtest-test"
    error_message = "the workgroup is <project>-<env>, as lakehouse.settings names it"
  }
}

run "an_unsupported_lambda_runtime_is_refused_at_plan" {
  command = plan
  variables {
    lambda_runtime = "python3.11"
  }
  expect_failures = [var.lambda_runtime]
}

run "an_emulator_without_glue_and_athena_gets_the_rest" {
  command = plan
  variables {
    unavailable_services = ["glue", "athena"]
  }
  assert {
    condition     = output.tables == null && output.athena_workgroup == null && length(output.glue_jobs) == 0
    error_message = "without Glue and Athena there must be no catalog, jobs or workgroup"
  }
  assert {
    condition     = output.buckets["raw"] == "lhtest-test-raw"
    error_message = "the buckets, key and automation stay"
  }
}
