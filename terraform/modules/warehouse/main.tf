# Redshift Serverless over the lakehouse (off unless `warehouse_enabled`): a namespace encrypted with
# the environment's key and an admin password kept in Secrets Manager, a private workgroup, and the
# gold Glue database as an external schema (sql/external_schema.sql, run with the Redshift Data API as
# the admin user through its secret), so gold tables are queryable from Redshift without loading them.
# Enhanced VPC routing is opt-in: it sends Spectrum's S3 and Glue traffic through the VPC, which then
# needs S3 and Glue endpoints (or a NAT); in a default VPC without them every Spectrum query fails.

data "aws_region" "current" {}

resource "aws_redshiftserverless_namespace" "this" {
  count                 = var.enabled ? 1 : 0
  namespace_name        = var.name
  db_name               = "lakehouse"
  admin_username        = "lakehouse_admin"
  manage_admin_password = true
  kms_key_id            = var.kms_key_arn
  iam_roles             = [var.spectrum_role_arn]
  default_iam_role_arn  = var.spectrum_role_arn
  log_exports           = ["userlog", "connectionlog", "useractivitylog"]
  tags                  = var.tags
}

resource "aws_redshiftserverless_workgroup" "this" {
  count                = var.enabled ? 1 : 0
  namespace_name       = aws_redshiftserverless_namespace.this[0].namespace_name
  workgroup_name       = var.name
  base_capacity        = var.base_capacity
  publicly_accessible  = false
  enhanced_vpc_routing = var.enhanced_vpc_routing
  subnet_ids           = length(var.subnet_ids) > 0 ? var.subnet_ids : null
  security_group_ids   = length(var.security_group_ids) > 0 ? var.security_group_ids : null
  tags                 = var.tags
  # No config_parameter blocks: require_ssl and enable_user_activity_logging are already true by
  # default, and restating a subset of the parameters makes every later plan show a diff.
}

locals {
  external_schema_sql = templatefile("${path.module}/sql/external_schema.sql", {
    schema   = var.external_schema
    database = var.gold_database
    role_arn = var.spectrum_role_arn
    region   = data.aws_region.current.name
  })
}

# Holds the schema's SQL: when it changes (another gold database or role), the schema is dropped and
# created again, instead of `IF NOT EXISTS` silently keeping the old mapping.
resource "terraform_data" "external_schema_sql" {
  count = var.enabled ? 1 : 0
  input = local.external_schema_sql
}

resource "aws_redshiftdata_statement" "drop_external_schema" {
  count          = var.enabled ? 1 : 0
  workgroup_name = aws_redshiftserverless_workgroup.this[0].workgroup_name
  database       = aws_redshiftserverless_namespace.this[0].db_name
  secret_arn     = aws_redshiftserverless_namespace.this[0].admin_password_secret_arn
  sql            = "DROP SCHEMA IF EXISTS ${var.external_schema}"

  lifecycle {
    replace_triggered_by = [terraform_data.external_schema_sql]
  }
}

resource "aws_redshiftdata_statement" "external_schema" {
  count          = var.enabled ? 1 : 0
  workgroup_name = aws_redshiftserverless_workgroup.this[0].workgroup_name
  database       = aws_redshiftserverless_namespace.this[0].db_name
  secret_arn     = aws_redshiftserverless_namespace.this[0].admin_password_secret_arn
  sql            = local.external_schema_sql

  depends_on = [aws_redshiftdata_statement.drop_external_schema]
}
