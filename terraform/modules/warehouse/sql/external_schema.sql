-- The gold Glue database as a Redshift external schema (Redshift Spectrum). Rendered by Terraform
-- (modules/warehouse) with the database name and the Spectrum role, run through the Redshift Data API
-- as the admin user; Terraform drops the schema first whenever this text changes.
CREATE EXTERNAL SCHEMA ${schema}
FROM DATA CATALOG
DATABASE '${database}'
IAM_ROLE '${role_arn}'
REGION '${region}';
