# Alarms on every job (failed tasks, duration), every function (errors) and the dead-letter queue,
# all to the encrypted alerts topic, which the environment's addresses subscribe to.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name                       = "lh-test"
  kms_key_arn                = "arn:aws:kms:eu-west-1:123456789012:key/test-key"
  alert_emails               = ["oncall@example.com"]
  job_names                  = ["lh-test-clickstream-raw_to_silver", "lh-test-clickstream-silver_to_gold"]
  job_duration_alarm_minutes = 45
  function_names             = ["lh-test-on-raw-object", "lh-test-on-job-state"]
  dlq_name                   = "lh-test-automation-dlq"
}

run "everything_that_needs_a_human_alarms_to_the_topic" {
  assert {
    condition = sort(keys(aws_cloudwatch_metric_alarm.this)) == sort(concat(
      [for j in var.job_names : "${j}-failed-tasks"], [for j in var.job_names : "${j}-duration"],
      [for f in var.function_names : "${f}-errors"], ["lh-test-automation-dlq-depth"],
    ))
    error_message = "each job, function and the dead-letter queue needs its alarms"
  }
  assert {
    condition = alltrue([
      for a in aws_cloudwatch_metric_alarm.this : tolist(a.alarm_actions) == tolist([aws_sns_topic.alerts.arn])
    ])
    error_message = "every alarm must notify the alerts topic"
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["lh-test-clickstream-raw_to_silver-duration"].threshold == 45 * 60000 &&
      aws_cloudwatch_metric_alarm.this["lh-test-automation-dlq-depth"].metric_name == "ApproximateNumberOfMessagesVisible"
    )
    error_message = "the duration alarm fires after job_duration_alarm_minutes; the DLQ alarm on its depth"
  }
}

run "the_topic_is_encrypted_and_subscribed" {
  assert {
    condition = (
      aws_sns_topic.alerts.kms_master_key_id == var.kms_key_arn &&
      [for s in aws_sns_topic_subscription.email : s.endpoint] == ["oncall@example.com"]
    )
    error_message = "the alerts topic must be encrypted with the environment's key and reach the subscribers"
  }
}
