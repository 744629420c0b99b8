# Values every terraform test's mock_provider "aws" gives the data sources the modules read, so ARNs
# built from them are predictable in assertions (mock_provider "aws" { source = ".../tests/mocks" }).

mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}

mock_data "aws_partition" {
  defaults = { partition = "aws" }
}

mock_data "aws_region" {
  defaults = { region = "eu-west-1" }
}
