# State of the staging environment. The bucket (and its region) come from `make init ENV=staging`
# (-backend-config=bucket=$TF_STATE_BUCKET); scripts/terraform/bootstrap_state.py creates it.
# use_lockfile: S3-native state locking, no DynamoDB table.
terraform {
  backend "s3" {
    key          = "lakehouse/staging/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
