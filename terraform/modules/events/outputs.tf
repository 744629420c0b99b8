output "function_arns" {
  description = "Lambda function ARN per handler."
  value       = { for h, f in aws_lambda_function.this : h => f.arn }
}

output "dlq_url" {
  description = "URL of the automation dead-letter queue."
  value       = aws_sqs_queue.dlq.url
}

output "rule_names" {
  description = "EventBridge rule name per rule key."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.name }
}

output "log_retention_days" {
  description = "Retention of each function's log group."
  value       = { for h, g in aws_cloudwatch_log_group.function : h => g.retention_in_days }
}
