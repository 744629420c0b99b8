# The automation wiring: S3 -> on_raw_object, EventBridge -> the state handlers and landed_alert,
# every function with the configuration its handler reads, a dead-letter queue and kept logs.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name    = "lh-test"
  project = "lh"
  env     = "test"
  functions = {
    on_raw_object    = "lh-test-on-raw-object"
    on_crawler_state = "lh-test-on-crawler-state"
    on_job_state     = "lh-test-on-job-state"
    landed_alert     = "lh-test-landed-alert"
  }
  function_role_arns = {
    on_raw_object    = "arn:aws:iam::123456789012:role/lh-test-fn-on-raw-object"
    on_crawler_state = "arn:aws:iam::123456789012:role/lh-test-fn-on-crawler-state"
    on_job_state     = "arn:aws:iam::123456789012:role/lh-test-fn-on-job-state"
    landed_alert     = "arn:aws:iam::123456789012:role/lh-test-fn-landed-alert"
  }
  artifacts_bucket   = "lh-test-artifacts"
  package_s3_key     = "glue/lakehouse-0123456789abcdef.zip"
  package_zip        = "../../../build/terraform/lakehouse.zip"
  raw_bucket         = "lh-test-raw"
  contracts_uri      = "s3://lh-test-artifacts/domains/"
  alert_dataset      = "clickstream"
  alerts_topic_arn   = "arn:aws:sns:eu-west-1:123456789012:lh-test-alerts"
  dlq_name           = "lh-test-automation-dlq"
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/test-key"
  log_retention_days = 14
}

run "functions_run_their_handler_with_the_configuration_it_reads" {
  assert {
    condition = alltrue([
      for h, f in aws_lambda_function.this :
      f.handler == "${h}.handler.handler" && f.runtime == "python3.13" && f.reserved_concurrent_executions == null && f.role == var.function_role_arns[h] &&
      f.kms_key_arn == var.kms_key_arn && f.dead_letter_config[0].target_arn == aws_sqs_queue.dlq.arn
    ])
    error_message = "every function runs lambda/<handler>/handler.py with its role, the key and the DLQ"
  }
  assert {
    condition = alltrue([
      for f in aws_lambda_function.this : sort(keys(f.environment[0].variables)) == sort([
        "LAKEHOUSE_PROJECT", "LAKEHOUSE_ENV", "LAKEHOUSE_CONTRACTS_URI", "LAKEHOUSE_ALERT_TOPIC_ARN",
        "LAKEHOUSE_DLQ_URL", "LAKEHOUSE_ALERT_DATASET", "LAKEHOUSE_LOCK_TTL_MINUTES", "LAKEHOUSE_RETENTION_HOURS",
      ]) && f.environment[0].variables["LAKEHOUSE_ENV"] == "test"
    ])
    error_message = "the functions' environment must carry exactly what lakehouse.automation.handlers.Config reads"
  }
  assert {
    condition = alltrue([
      for g in aws_cloudwatch_log_group.function : g.retention_in_days == 14 && g.kms_key_id == var.kms_key_arn
    ])
    error_message = "function logs must be kept log_retention_days, encrypted"
  }
}

run "events_reach_the_right_handler" {
  assert {
    condition = (
      aws_s3_bucket_notification.raw.eventbridge &&
      aws_s3_bucket_notification.raw.lambda_function[0].lambda_function_arn == aws_lambda_function.this["on_raw_object"].arn &&
      tolist(aws_s3_bucket_notification.raw.lambda_function[0].events) == tolist(["s3:ObjectCreated:*"])
    )
    error_message = "new raw objects must invoke on_raw_object and reach EventBridge"
  }
  assert {
    condition = (
      aws_cloudwatch_event_target.this["crawler-state"].arn == aws_lambda_function.this["on_crawler_state"].arn &&
      aws_cloudwatch_event_target.this["job-state"].arn == aws_lambda_function.this["on_job_state"].arn &&
      aws_cloudwatch_event_target.this["landed"].arn == aws_lambda_function.this["landed_alert"].arn
    )
    error_message = "each EventBridge rule must target its handler"
  }
  assert {
    condition = (
      jsondecode(aws_cloudwatch_event_rule.this["job-state"].event_pattern)["detail-type"] == ["Glue Job State Change"] &&
      contains(jsondecode(aws_cloudwatch_event_rule.this["job-state"].event_pattern).detail.state, "FAILED") &&
      jsondecode(aws_cloudwatch_event_rule.this["landed"].event_pattern).detail.object.key[0].prefix == "clickstream/"
    )
    error_message = "job failures and the alert dataset's files must match their rules"
  }
  assert {
    condition     = aws_sqs_queue.dlq.kms_master_key_id == var.kms_key_arn
    error_message = "the dead-letter queue must be encrypted with the environment's key"
  }
}

run "an_unsupported_runtime_is_refused" {
  command = plan
  variables {
    runtime = "python3.11"
  }
  expect_failures = [var.runtime]
}

run "rules_wake_only_this_environments_functions" {
  assert {
    condition = (
      jsonencode(jsondecode(aws_cloudwatch_event_rule.this["job-state"].event_pattern).detail.jobName) == jsonencode([{ prefix = "lh-test-" }]) &&
      jsonencode(jsondecode(aws_cloudwatch_event_rule.this["crawler-state"].event_pattern).detail.crawlerName) == jsonencode([{ prefix = "lh-test-" }])
    )
    error_message = "the Glue state rules must match only <project>-<env>- jobs and crawlers"
  }
}

run "queue_delivery_for_an_endpoint_without_lambda" {
  variables {
    deliver_to_queues = true
  }
  assert {
    condition = (
      length(aws_lambda_function.this) == 0 && jsonencode(sort(keys(aws_sqs_queue.inbox))) == jsonencode(["alerts-inbox", "glue-events", "raw-events"]) &&
      length(aws_s3_bucket_notification.raw.queue) == 1 && length(aws_s3_bucket_notification.raw.lambda_function) == 0 &&
      alltrue([for t in aws_cloudwatch_event_target.this : t.arn == aws_sqs_queue.inbox["glue-events"].arn]) &&
      !contains(keys(aws_cloudwatch_event_rule.this), "landed")
    )
    error_message = "queue delivery: no functions; S3 and the Glue rules deliver to the inbox queues"
  }
}
