output "names" {
  description = "The checked names, by kind."
  value       = var.names
}
