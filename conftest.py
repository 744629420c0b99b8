"""pytest's root: the shared fixtures (tests/plugin.py, tests/integration/plugin.py) serve the kit's
tests under tests/ and every domain's own tests under domains/<domain>/tests/."""

pytest_plugins = ["tests.plugin", "tests.integration.plugin"]
