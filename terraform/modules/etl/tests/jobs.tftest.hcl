# One Glue 5.1 job per manifest job, each with its own role, one concurrent run, no bookmarks (the jobs
# keep their own ledger), logs in the environment's groups with a retention, metrics, the security
# configuration, its contract and the content-hashed package.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                   = "lh-test"
  project                = "lh"
  env                    = "test"
  artifacts_bucket       = "lh-test-artifacts"
  source_root            = "../../.."
  package_zip            = "../../../build/terraform/lakehouse.zip"
  contract_files         = ["domains/clickstream/clickstream.yaml"]
  jobs                   = jsondecode(file("../../../build/terraform/manifest.json")).jobs
  job_role_arns          = { for k, j in jsondecode(file("../../../build/terraform/manifest.json")).jobs : k => "arn:aws:iam::123456789012:role/lh-test-job-${k}" }
  security_configuration = "lh-test"
  worker_type            = "G.1X"
  number_of_workers      = 2
  timeout_minutes        = 30
  log_retention_days     = 14
  kms_key_arn            = "arn:aws:kms:eu-west-1:123456789012:key/test-key"
}

run "one_job_per_manifest_job" {
  assert {
    condition     = sort(keys(aws_glue_job.this)) == sort(keys(var.jobs))
    error_message = "the jobs differ from the manifest's"
  }
  assert {
    condition = alltrue([
      for k, j in aws_glue_job.this :
      j.name == "lh-test-${var.jobs[k].name}-${var.jobs[k].stage}" && j.role_arn == var.job_role_arns[k]
    ])
    error_message = "job names must be <project>-<env>-<dataset>-<stage>, each with its own role"
  }
}

run "jobs_are_glue5_single_run_logged_and_encrypted" {
  assert {
    condition = alltrue([
      for j in aws_glue_job.this :
      j.glue_version == "5.1" && j.execution_property[0].max_concurrent_runs == 1 && j.execution_class == "STANDARD" &&
      j.security_configuration == "lh-test" && j.timeout == 30 &&
      j.worker_type == "G.1X" && j.number_of_workers == 2
    ])
    error_message = "every job must be Glue 5.1 (Spark 3.5.6, as pinned locally), one concurrent run, the security configuration and the environment's size"
  }
  assert {
    condition = alltrue([
      for j in aws_glue_job.this :
      j.default_arguments["--job-bookmark-option"] == "job-bookmark-disable" &&
      !contains(keys(j.default_arguments), "--enable-continuous-cloudwatch-log") &&
      j.default_arguments["--custom-logGroup-prefix"] == "/aws-glue/jobs/lh-test" &&
      j.default_arguments["--enable-metrics"] == "true" &&
      j.default_arguments["--lock_ttl_minutes"] == "35" && j.default_arguments["--retention_hours"] == "168"
    ])
    error_message = "jobs keep bookmarks off (their own ledger), log to the environment's groups, send metrics, and get their lock TTL (timeout + 5 min) and retention"
  }
  assert {
    condition = (
      jsonencode(sort([for g in aws_cloudwatch_log_group.glue : g.name])) == jsonencode(["/aws-glue/jobs/lh-test/error", "/aws-glue/jobs/lh-test/output"]) &&
      alltrue([for g in aws_cloudwatch_log_group.glue : g.retention_in_days == 14 && g.kms_key_id == var.kms_key_arn])
    )
    error_message = "Glue's log groups must exist with the environment's retention, encrypted"
  }
}

run "jobs_run_their_stage_on_their_contract_and_the_hashed_package" {
  assert {
    condition = alltrue([
      for k, j in aws_glue_job.this :
      j.command[0].script_location == "s3://lh-test-artifacts/glue/jobs/${var.jobs[k].stage}.py"
    ])
    error_message = "a job runs another stage's script"
  }
  assert {
    condition = alltrue([
      for k, j in aws_glue_job.this : var.jobs[k].stage == "build_model" ?
      startswith(j.default_arguments["--model_uri"], "s3://lh-test-artifacts/domains/") &&
      endswith(j.default_arguments["--model_uri"], "/models/${var.jobs[k].name}.yaml") :
      startswith(j.default_arguments["--contract_uri"], "s3://lh-test-artifacts/domains/") &&
      endswith(j.default_arguments["--contract_uri"], "/${var.jobs[k].name}.yaml")
    ])
    error_message = "a job reads another dataset's contract"
  }
  assert {
    condition = alltrue([
      for j in aws_glue_job.this :
      j.default_arguments["--extra-py-files"] == "s3://lh-test-artifacts/glue/lakehouse-${substr(filesha256(var.package_zip), 0, 16)}.zip"
    ])
    error_message = "jobs must load the package by its content hash"
  }
}

run "scripts_and_contracts_are_uploaded_at_their_repository_paths" {
  assert {
    condition = sort(keys(aws_s3_object.source)) == sort(concat(
      distinct([for j in var.jobs : j.script]), var.contract_files
    )) && alltrue([for k, o in aws_s3_object.source : o.key == k && o.bucket == var.artifacts_bucket])
    error_message = "every job script and contract must be uploaded under its repository path"
  }
}

run "streaming_only_workers_are_refused" {
  command = plan
  variables {
    worker_type = "G.025X"
  }
  expect_failures = [var.worker_type]
}
