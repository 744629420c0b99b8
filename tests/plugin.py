"""Shared fixtures (a pytest plugin, loaded by the root conftest.py): one SparkSession and one local AWS
endpoint for the whole run, state reset per test; the sample domains mounted, so tests import their
modules as `lakehouse_domains.<domain>.<module>` (lakehouse.contract.domains)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from lakehouse.contract.dataset import load_contracts
from lakehouse.contract.domains import mount
from lakehouse.settings import Settings

REPO = Path(__file__).resolve().parents[1]
mount([REPO / "domains"])
# the domain folder of each sample dataset (tests name a contract file by its dataset)
DOMAIN_OF = {c.name: c.domain for c in load_contracts(REPO / "domains").values()}

# Never let a test reach real AWS: dummy credentials, no profile.
for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(var, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="test",
    AWS_SECRET_ACCESS_KEY="test",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def spark():
    from lakehouse.jobs.spark import local_session

    session = local_session("lakehouse-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def endpoint_url(tmp_path_factory):
    """A moto server on a free 127.0.0.1 port, started and stopped by PID."""
    from lakehouse.local import endpoint

    os.environ["LAKEHOUSE_STATE_DIR"] = str(tmp_path_factory.mktemp("state"))
    port = free_port()
    ep = endpoint.up(port)
    assert ep.started, "a fresh free port must not already answer"
    os.environ["AWS_ENDPOINT_URL"] = ep.url
    yield ep.url
    assert endpoint.down(port)
    os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture
def settings(endpoint_url) -> Settings:
    """Settings on a freshly reset endpoint."""
    from lakehouse.local.endpoint import reset

    reset(endpoint_url)
    return Settings(project="lhtest", env="local", endpoint_url=endpoint_url, domains=(REPO / "domains",))


@pytest.fixture
def deployed(settings) -> Settings:
    from tests.support.fast_deploy import deploy

    deploy(settings)
    return settings


@pytest.fixture
def clickstream():
    from lakehouse.contract.dataset import load_contract

    return load_contract(REPO / "domains" / "clickstream" / "clickstream.yaml")


def pytest_collection_modifyitems(items):
    """Mark what a test needs from the fixtures it uses (directly or through others), so `make unit`
    can select the tests that need neither Spark nor the endpoint nor Terraform: `-m unit`."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        if "spark" in needs:
            item.add_marker(pytest.mark.spark)
        if "endpoint_url" in needs:
            item.add_marker(pytest.mark.endpoint)
        if "tests/terraform/" in item.path.as_posix():
            item.add_marker(pytest.mark.terraform)
        if not {"spark", "endpoint", "terraform"} & {m.name for m in item.iter_markers()}:
            item.add_marker(pytest.mark.unit)
