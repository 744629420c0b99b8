variable "name" {
  description = "Resource name prefix: <project>-<env>."
  type        = string
}

variable "databases" {
  description = "Glue database name per data zone (raw, silver, gold)."
  type        = map(string)
}

variable "buckets" {
  description = "Bucket name per zone; table locations are s3://<bucket of the table's zone>/<prefix>."
  type        = map(string)
}

variable "tables" {
  description = "Catalog tables from the manifest, keyed by \"<zone>.<name>\"."
  type = map(object({
    zone             = string
    name             = string
    description      = string
    prefix           = string
    columns          = list(object({ name = string, type = string }))
    partition_keys   = list(object({ name = string, type = string }))
    parameters       = map(string)
    input_format     = string
    output_format    = string
    serde            = string
    serde_parameters = map(string)
  }))
}

variable "crawled_datasets" {
  description = "Datasets whose contract asks for a crawler of their raw prefix."
  type        = list(string)
  default     = []
}

variable "crawler_role_arn" {
  description = "Role of the crawlers (null when there are none)."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "The environment's KMS key: catalog encryption and the Glue security configuration."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
