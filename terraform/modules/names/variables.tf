variable "names" {
  description = "Derived resource names by kind: bucket, role, function, job, database."
  type        = map(list(string))

  validation {
    condition     = alltrue([for n in lookup(var.names, "bucket", []) : length(n) <= 63 && can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", n))])
    error_message = "S3 bucket names must be at most 63 characters of a-z, 0-9, '.' and '-': ${join(", ", [for n in lookup(var.names, "bucket", []) : "\"${n}\" has ${length(n)}" if length(n) > 63 || !can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", n))])}. Shorten project or env."
  }
  validation {
    condition     = alltrue([for n in lookup(var.names, "role", []) : length(n) <= 64])
    error_message = "IAM role names must be at most 64 characters: ${join(", ", [for n in lookup(var.names, "role", []) : "\"${n}\" has ${length(n)}" if length(n) > 64])}. Shorten project, env or the dataset name."
  }
  validation {
    condition     = alltrue([for n in lookup(var.names, "function", []) : length(n) <= 64])
    error_message = "Lambda function names must be at most 64 characters: ${join(", ", [for n in lookup(var.names, "function", []) : "\"${n}\" has ${length(n)}" if length(n) > 64])}. Shorten project or env."
  }
  validation {
    condition     = alltrue([for n in concat(lookup(var.names, "job", []), lookup(var.names, "database", [])) : length(n) <= 255])
    error_message = "Glue job and database names must be at most 255 characters: ${join(", ", [for n in concat(lookup(var.names, "job", []), lookup(var.names, "database", [])) : "\"${n}\" has ${length(n)}" if length(n) > 255])}."
  }
}
