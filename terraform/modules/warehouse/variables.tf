variable "enabled" {
  description = "Create the Redshift Serverless namespace, workgroup and external schema."
  type        = bool
  default     = false
}

variable "name" {
  description = "Resource name prefix: <project>-<env>."
  type        = string
}

variable "gold_database" {
  description = "Glue database exposed as the external schema."
  type        = string
}

variable "external_schema" {
  description = "Name of the Redshift external schema over the gold database."
  type        = string
  default     = "gold"
}

variable "spectrum_role_arn" {
  description = "IAM role Redshift assumes to read the gold zone and its catalog."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's KMS key: the namespace is encrypted with it."
  type        = string
}

variable "base_capacity" {
  description = "Base RPUs of the workgroup."
  type        = number
  default     = 8
  validation {
    condition     = var.base_capacity >= 4 && var.base_capacity <= 1024 && var.base_capacity % 4 == 0
    error_message = "base_capacity must be a multiple of 4 RPUs between 4 and 1024 (8 or more for Spectrum)."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the workgroup (empty: the default VPC's)."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups of the workgroup (empty: the VPC's default)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
