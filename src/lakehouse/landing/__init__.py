"""Landing files: draft a contract from one (`lakehouse new`), check one against its contract
(`lakehouse check`), upload them into the raw zone (`lakehouse ingest`), and the domains' sample
files (`lakehouse generate`)."""
