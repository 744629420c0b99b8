"""boto3 clients for the current environment: the one place that decides which endpoint we talk to.

Locally `AWS_ENDPOINT_URL` (or the settings' endpoint) points every client at the emulated AWS;
on AWS it is unset and boto3 uses its normal resolution. Nothing else in the package builds clients.
"""

from __future__ import annotations

from functools import lru_cache

import boto3
from botocore.config import Config

from lakehouse.settings import Settings, env_set

LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def local_credentials_if_needed(settings: Settings) -> dict[str, str]:
    """Dummy credentials for an emulated endpoint when the user has none configured."""
    if settings.endpoint_url and not env_set("AWS_ACCESS_KEY_ID") and not env_set("AWS_PROFILE"):
        return dict(LOCAL_CREDENTIALS)
    return {}


@lru_cache(maxsize=64)
def _client(service: str, region: str, endpoint_url: str | None, creds: tuple[tuple[str, str], ...]):
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"})
    return boto3.session.Session().client(
        service, region_name=region, endpoint_url=endpoint_url, config=config, **dict(creds)
    )


def client(service: str, settings: Settings):
    """A cached boto3 client for `service` in the settings' region and endpoint."""
    creds = tuple(sorted(local_credentials_if_needed(settings).items()))
    return _client(service, settings.region, settings.endpoint_url, creds)


def credentials(settings: Settings) -> tuple[str, str, str | None]:
    """(access key, secret key, session token) the clients use, for tools outside boto3 (DuckDB)."""
    local = local_credentials_if_needed(settings)
    if local:
        return local["aws_access_key_id"], local["aws_secret_access_key"], None
    creds = boto3.session.Session().get_credentials()
    if creds is None:
        raise RuntimeError("no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID)")
    frozen = creds.get_frozen_credentials()
    return frozen.access_key, frozen.secret_key, frozen.token
