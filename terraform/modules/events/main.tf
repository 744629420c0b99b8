# The automation: four Lambda functions from lambda/, all running the one lakehouse package.
#   raw bucket ObjectCreated --S3 notification--> on_raw_object (register partition; crawl or start raw_to_silver)
#   Glue Crawler State Change --EventBridge-->    on_crawler_state (succeeded -> start raw_to_silver; failed -> SNS)
#   Glue Job State Change --EventBridge-->        on_job_state (succeeded -> publish, next job; failed -> SNS)
#   raw ObjectCreated under the alert dataset --EventBridge--> landed_alert (its domain's alerts.py -> SNS)
# Events a function cannot parse go to the dead-letter queue, as do failed async invocations.

data "aws_caller_identity" "current" {}

locals {
  handlers = {
    for h, fn in var.functions : h => {
      function = fn
      entry    = "${h}.handler.handler"
    }
  }
  environment = {
    LAKEHOUSE_PROJECT          = var.project
    LAKEHOUSE_ENV              = var.env
    LAKEHOUSE_CONTRACTS_URI    = var.contracts_uri
    LAKEHOUSE_ALERT_TOPIC_ARN  = var.alerts_topic_arn
    LAKEHOUSE_DLQ_URL          = aws_sqs_queue.dlq.url
    LAKEHOUSE_ALERT_DATASET    = var.alert_dataset
    LAKEHOUSE_LOCK_TTL_MINUTES = tostring(var.lock_ttl_minutes)
    LAKEHOUSE_RETENTION_HOURS  = tostring(var.retention_hours)
  }
  # Only this environment's jobs and crawlers (names start with "<project>-<env>-"): environments
  # sharing an account never wake each other's functions.
  rules = merge(
    {
      crawler-state = {
        handler = "on_crawler_state"
        pattern = { source = ["aws.glue"], "detail-type" = ["Glue Crawler State Change"], detail = { crawlerName = [{ prefix = "${var.name}-" }], state = ["Succeeded", "Failed"] } }
      }
      job-state = {
        handler = "on_job_state"
        pattern = { source = ["aws.glue"], "detail-type" = ["Glue Job State Change"], detail = { jobName = [{ prefix = "${var.name}-" }], state = ["SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR"] } }
      }
    },
    # Queue delivery feeds landed_alert from the raw-events queue, like on_raw_object.
    { for k, r in {
      landed = {
        handler = "landed_alert"
        pattern = {
          source        = ["aws.s3"]
          "detail-type" = ["Object Created"]
          detail        = { bucket = { name = [var.raw_bucket] }, object = { key = [{ prefix = "${var.alert_dataset}/" }] } }
        }
      }
    } : k => r if !var.deliver_to_queues },
  )
  # Queue delivery (an endpoint that runs no Lambda code): what would invoke a function lands in a
  # queue that `lakehouse dispatch` reads and hands to the same handler in-process.
  # An endpoint that runs no Lambda code gets no functions: its events go to the queues below.
  functions = var.deliver_to_queues ? {} : local.handlers
  inboxes   = var.deliver_to_queues ? toset(["raw-events", "glue-events", "alerts-inbox"]) : toset([])
}

resource "aws_sqs_queue" "dlq" {
  name                      = var.dlq_name
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600
  tags                      = var.tags
}

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_338:Retention is each environment's choice (log_retention_days: 365 in prod, 14 in dev, 1 on the local emulator); a year everywhere is a cost decision left to adopters.
  for_each          = local.functions
  name              = "/aws/lambda/${each.value.function}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The functions call only AWS APIs (S3, Glue, SNS, SQS) and reach no private resource; a VPC would add NAT or endpoints and no isolation.
  #checkov:skip=CKV_AWS_272:Code comes from this repository's build, uploaded by the same apply under its content hash; a Signer profile is an adopter's choice.
  for_each                       = local.functions
  function_name                  = each.value.function
  role                           = var.function_role_arns[each.key]
  runtime                        = var.runtime
  handler                        = each.value.entry
  s3_bucket                      = var.artifacts_bucket
  s3_key                         = var.package_s3_key
  source_code_hash               = filebase64sha256(var.package_zip)
  timeout                        = 300
  memory_size                    = 512
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = local.environment
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }
}

# --- S3 -> on_raw_object, and every raw event to EventBridge (for landed_alert) ----------------------

resource "aws_lambda_permission" "raw_bucket" {
  count          = var.deliver_to_queues ? 0 : 1
  statement_id   = "RawBucketNotifications"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this["on_raw_object"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = "arn:aws:s3:::${var.raw_bucket}"
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_s3_bucket_notification" "raw" {
  bucket      = var.raw_bucket
  eventbridge = !var.deliver_to_queues

  dynamic "lambda_function" {
    for_each = var.deliver_to_queues ? [] : [1]
    content {
      lambda_function_arn = aws_lambda_function.this["on_raw_object"].arn
      events              = ["s3:ObjectCreated:*"]
    }
  }

  dynamic "queue" {
    for_each = var.deliver_to_queues ? [1] : []
    content {
      queue_arn = aws_sqs_queue.inbox["raw-events"].arn
      events    = ["s3:ObjectCreated:*"]
    }
  }

  depends_on = [aws_lambda_permission.raw_bucket]
}

# --- queue delivery (local endpoint) ---------------------------------------------------------------
# Inboxes exist only on an emulator, which enforces no queue policy: they have none.

resource "aws_sqs_queue" "inbox" {
  for_each                  = local.inboxes
  name                      = "${var.name}-${each.key}"
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 86400
  tags                      = var.tags
}

resource "aws_sns_topic_subscription" "alerts_inbox" {
  count     = var.deliver_to_queues ? 1 : 0
  topic_arn = var.alerts_topic_arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.inbox["alerts-inbox"].arn
}

# --- EventBridge rules ----------------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "this" {
  for_each      = local.rules
  name          = "${var.name}-${each.key}"
  description   = "${each.key} -> ${each.value.handler}"
  event_pattern = jsonencode(each.value.pattern)
  tags          = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.rules
  rule     = aws_cloudwatch_event_rule.this[each.key].name
  arn      = var.deliver_to_queues ? aws_sqs_queue.inbox["glue-events"].arn : aws_lambda_function.this[each.value.handler].arn

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 4
  }
}

resource "aws_lambda_permission" "rule" {
  for_each      = { for k, r in local.rules : k => r if !var.deliver_to_queues }
  statement_id  = "EventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.value.handler].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.key].arn
}

locals {
  dlq_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeDeadLetters"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.dlq.arn
      Condition = { ArnEquals = { "aws:SourceArn" = [for r in aws_cloudwatch_event_rule.this : r.arn] } }
    }]
  }
}

# EventBridge may send dead letters to the queue. An emulator enforces no queue policy, and the
# provider waits ~25 s for one to settle: queue delivery (the local env) leaves it out.
resource "aws_sqs_queue_policy" "dlq" {
  count     = var.deliver_to_queues ? 0 : 1
  queue_url = aws_sqs_queue.dlq.url
  policy    = jsonencode(local.dlq_policy)
}
