variable "name" {
  description = "Resource name prefix: <project>-<env> (also the workgroup name)."
  type        = string
}

variable "results_bucket" {
  description = "Bucket for query results."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's KMS key: results are SSE-KMS encrypted with it."
  type        = string
}

variable "bytes_scanned_cutoff" {
  description = "A query scanning more bytes than this is cancelled."
  type        = number
  validation {
    condition     = var.bytes_scanned_cutoff >= 10485760
    error_message = "Athena's smallest per-query limit is 10 MB (10485760 bytes)."
  }
}

variable "database" {
  description = "Default database of the named queries (the gold zone)."
  type        = string
}

variable "queries" {
  description = "Named queries: name -> .sql file relative to source_root (the manifest's queries, from every domain's queries/)."
  type        = map(string)
  default     = {}
}

variable "source_root" {
  description = "Repository root the query files are read from."
  type        = string
  default     = "."
}

variable "force_destroy" {
  description = "Allow destroying the workgroup while it holds saved queries (dev only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "named_queries" {
  description = "Save the domains' queries as named queries (off only on an emulator without DeleteNamedQuery, such as moto, where they could never be destroyed)."
  type        = bool
  default     = true
}
