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
    condition     = var.base_capacity >= 8 && var.base_capacity <= 512 && var.base_capacity % 8 == 0
    error_message = "base_capacity ${var.base_capacity} is not accepted by Redshift Serverless: use 8 to 512 RPUs in steps of 8 (larger values exist only in some regions; raise this check there)."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the workgroup (empty: the default VPC's)."
  type        = list(string)
  default     = []
}

variable "enhanced_vpc_routing" {
  description = "Route Spectrum's S3 and Glue traffic through the VPC. Turn on only when the subnets' VPC has S3 and Glue endpoints (or a NAT): without them every Spectrum query fails."
  type        = bool
  default     = false
  validation {
    condition     = !var.enhanced_vpc_routing || length(var.subnet_ids) > 0
    error_message = "enhanced_vpc_routing needs your own subnets (subnet_ids) in a VPC with S3 and Glue endpoints; the default VPC has none."
  }
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
