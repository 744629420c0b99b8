"""Test-only helpers: the fast deploy path and its event plumbing (not shipped in the package)."""
