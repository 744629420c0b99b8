"""What is deployed from the contracts: Terraform's manifest, the lakehouse.zip bundle, and the
domains' Athena views."""
