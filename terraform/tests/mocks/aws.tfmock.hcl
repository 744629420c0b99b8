# Values every terraform test's mock_provider "aws" gives the data sources the modules read, so ARNs
# built from them are predictable in assertions (mock_provider "aws" { source = ".../tests/mocks" }).

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_data "aws_region" {
  defaults = { name = "eu-west-1" }
}

# Computed ARNs and URLs in the provider's own formats: the real provider (5.x in tf-check) validates
# values such as a dead-letter target or an alarm action, where a random mock string would fail.
mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:mock-queue"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/mock-queue"
  }
}

mock_resource "aws_sns_topic" {
  defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:mock-topic" }
}

mock_resource "aws_kms_key" {
  defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
}

mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/mock-role" }
}

mock_resource "aws_lambda_function" {
  defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:mock-function" }
}

mock_resource "aws_cloudwatch_event_rule" {
  defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/mock-rule" }
}

mock_resource "aws_redshiftserverless_namespace" {
  defaults = { admin_password_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mock-admin" }
}
