output "database_names" {
  description = "Glue database name per data zone."
  value       = { for zone, db in aws_glue_catalog_database.zone : zone => db.name }
}

output "table_names" {
  description = "Qualified name (<database>.<table>) per manifest table key."
  value       = { for k, t in aws_glue_catalog_table.this : k => "${t.database_name}.${t.name}" }
}

output "security_configuration" {
  description = "Name of the Glue security configuration jobs and crawlers run under."
  value       = aws_glue_security_configuration.this.name
}

output "crawler_names" {
  description = "Crawler name per crawled dataset."
  value       = { for d, c in aws_glue_crawler.raw : d => c.name }
}
