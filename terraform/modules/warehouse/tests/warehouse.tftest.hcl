# Redshift Serverless is off unless enabled; when on, it is private, encrypted, and exposes the gold
# Glue database as an external schema through the Spectrum role.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name              = "lh-test"
  gold_database     = "lh_test_gold"
  spectrum_role_arn = "arn:aws:iam::123456789012:role/lh-test-spectrum"
  kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/test-key"
}

run "off_by_default" {
  assert {
    condition = (
      length(aws_redshiftserverless_namespace.this) == 0 && length(aws_redshiftserverless_workgroup.this) == 0 &&
      length(aws_redshiftdata_statement.external_schema) == 0
    )
    error_message = "nothing of Redshift may exist unless warehouse is enabled"
  }
}

run "on_it_is_private_encrypted_and_reads_gold" {
  variables {
    enabled = true
  }
  assert {
    condition = (
      !aws_redshiftserverless_workgroup.this[0].publicly_accessible &&
      !aws_redshiftserverless_workgroup.this[0].enhanced_vpc_routing &&
      length(aws_redshiftserverless_workgroup.this[0].config_parameter) == 0 &&
      aws_redshiftserverless_namespace.this[0].kms_key_id == var.kms_key_arn &&
      aws_redshiftserverless_namespace.this[0].manage_admin_password
    )
    error_message = "the workgroup must be private, the namespace encrypted with a managed admin password"
  }
  assert {
    condition = (
      strcontains(aws_redshiftdata_statement.external_schema[0].sql, "CREATE EXTERNAL SCHEMA gold") &&
      aws_redshiftdata_statement.drop_external_schema[0].sql == "DROP SCHEMA IF EXISTS gold" &&
      strcontains(aws_redshiftdata_statement.external_schema[0].sql, "DATABASE 'lh_test_gold'") &&
      strcontains(aws_redshiftdata_statement.external_schema[0].sql, "IAM_ROLE '${var.spectrum_role_arn}'")
    )
    error_message = "the external schema must map the gold database through the Spectrum role"
  }
}

run "capacity_outside_8_to_512_in_steps_of_8_is_refused" {
  command = plan
  variables {
    enabled       = true
    base_capacity = 12
  }
  expect_failures = [var.base_capacity]
}

run "enhanced_vpc_routing_needs_own_subnets" {
  command = plan
  variables {
    enabled              = true
    enhanced_vpc_routing = true
  }
  expect_failures = [var.enhanced_vpc_routing]
}
