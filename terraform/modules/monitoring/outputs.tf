output "alerts_topic_arn" {
  description = "ARN of the alerts SNS topic."
  value       = aws_sns_topic.alerts.arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms."
  value       = [for a in aws_cloudwatch_metric_alarm.this : a.alarm_name]
}

output "alert_subscriptions" {
  description = "E-mail endpoints subscribed to the alerts topic."
  value       = sort([for s in aws_sns_topic_subscription.email : s.endpoint])
}
