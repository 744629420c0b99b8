# Redshift Serverless over the lakehouse (off unless `warehouse_enabled`): a namespace encrypted with
# the environment's key and an admin password kept in Secrets Manager, a private workgroup with
# enhanced VPC routing, and the gold Glue database as an external schema (sql/external_schema.sql,
# run with the Redshift Data API), so gold tables are queryable from Redshift without loading them.

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
  enhanced_vpc_routing = true
  subnet_ids           = length(var.subnet_ids) > 0 ? var.subnet_ids : null
  security_group_ids   = length(var.security_group_ids) > 0 ? var.security_group_ids : null
  tags                 = var.tags

  config_parameter {
    parameter_key   = "require_ssl"
    parameter_value = "true"
  }

  config_parameter {
    parameter_key   = "enable_user_activity_logging"
    parameter_value = "true"
  }
}

resource "aws_redshiftdata_statement" "external_schema" {
  count          = var.enabled ? 1 : 0
  workgroup_name = aws_redshiftserverless_workgroup.this[0].workgroup_name
  database       = aws_redshiftserverless_namespace.this[0].db_name
  sql = templatefile("${path.module}/sql/external_schema.sql", {
    schema   = var.external_schema
    database = var.gold_database
    role_arn = var.spectrum_role_arn
    region   = data.aws_region.current.region
  })
}
