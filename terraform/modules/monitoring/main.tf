# One alerts topic per environment (encrypted, e-mail subscriptions from the environment's tfvars) and
# CloudWatch alarms on what needs a human: failed Glue tasks, slow job runs, Lambda errors, and
# anything in the dead-letter queue. Job failures themselves are also alerted by on_job_state, with
# the run id and a console link.

data "aws_caller_identity" "current" {}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

locals {
  topic_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AlarmsPublish"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.alerts.arn
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = jsonencode(local.topic_policy)
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alert_emails)
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  alarms = merge(
    {
      for j in var.job_names : "${j}-failed-tasks" => {
        namespace  = "Glue", metric = "glue.driver.aggregate.numFailedTasks", statistic = "Sum", threshold = 0
        dimensions = { JobName = j, JobRunId = "ALL", Type = "count" }
        what       = "Glue job ${j} had failed tasks"
      }
    },
    {
      for j in var.job_names : "${j}-duration" => {
        namespace  = "Glue", metric = "glue.driver.aggregate.elapsedTime", statistic = "Maximum"
        threshold  = var.job_duration_alarm_minutes * 60000
        dimensions = { JobName = j, JobRunId = "ALL", Type = "gauge" }
        what       = "Glue job ${j} ran longer than ${var.job_duration_alarm_minutes} minutes"
      }
    },
    {
      for f in var.function_names : "${f}-errors" => {
        namespace  = "AWS/Lambda", metric = "Errors", statistic = "Sum", threshold = 0
        dimensions = { FunctionName = f }
        what       = "Lambda ${f} raised errors"
      }
    },
    {
      "${var.dlq_name}-depth" = {
        namespace  = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", threshold = 0
        dimensions = { QueueName = var.dlq_name }
        what       = "events are waiting in the dead-letter queue ${var.dlq_name}"
      }
    },
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = each.key
  alarm_description   = each.value.what
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  tags                = var.tags
}
