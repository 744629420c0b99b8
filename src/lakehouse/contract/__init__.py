"""Contracts and the registry: what a dataset, a model and a domain are, their tables and
quality codes, and who builds what. Needs only PyYAML: it runs in Glue, Lambda and the CLI."""
