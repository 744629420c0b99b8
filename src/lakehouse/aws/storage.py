"""S3 access: URIs, object listing, uploads and downloads. All S3 calls of the package go through here."""

from __future__ import annotations

import builtins
import gzip
import hashlib
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import ClientError

from lakehouse import aws
from lakehouse.settings import Settings

# a conditional write lost: the object changed (412), a concurrent conditional write (409), or it is gone
_CONDITION_FAILED = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409", "404", "NoSuchKey")


def create_bucket_if_absent(s3, name: str, region: str) -> bool:
    """Create bucket `name` in `region` unless it exists; True when it was created."""
    try:
        s3.head_bucket(Bucket=name)
        return False
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **location)
    return True


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int
    etag: str
    modified: datetime | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def split_uri(uri: str) -> tuple[str, str]:
    """('bucket', 'key/prefix') of an s3:// URI. The key is taken as it is: an S3 key may hold `?` and
    `#`, which a URL parser would cut off as a query or a fragment."""
    scheme, _, rest = uri.partition("://")
    bucket, _, key = rest.partition("/")
    if scheme.lower() != "s3" or not bucket:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return bucket, key.lstrip("/")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Storage:
    """S3 for one environment."""

    def __init__(self, settings: Settings, s3: Any = None):
        """`s3`: the boto3 S3 client to use (a test's stub); by default the environment's (lakehouse.aws)."""
        self.settings = settings
        self.s3 = s3 if s3 is not None else aws.client("s3", settings)

    def list(self, uri: str) -> Iterator[S3Object]:
        bucket, prefix = split_uri(uri)
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                yield S3Object(bucket, o["Key"], o["Size"], o["ETag"].strip('"'), o.get("LastModified"))

    def head(self, uri: str) -> dict | None:
        bucket, key = split_uri(uri)
        try:
            return self.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def upload_file(self, path: Path, uri: str, metadata: dict[str, str] | None = None) -> None:
        bucket, key = split_uri(uri)
        extra = {"Metadata": metadata} if metadata else {}
        self.s3.upload_file(str(path), bucket, key, ExtraArgs=extra or None)

    def put_bytes(self, uri: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        bucket, key = split_uri(uri)
        self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def put_if_absent(self, uri: str, body: bytes) -> bool:
        """Create the object only if no object exists at uri (S3 conditional write); True if this call did."""
        return self.create(uri, body) is not None

    def create(self, uri: str, body: bytes) -> str | None:
        """Create the object only if none exists at uri (If-None-Match: *); its ETag, or None if one existed."""
        bucket, key = split_uri(uri)
        try:
            put = self.s3.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*")
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _CONDITION_FAILED:
                return None
            raise
        return str(put["ETag"]).strip('"')

    def read_versioned(self, uri: str) -> tuple[bytes, str] | None:
        """(body, ETag) of an object, or None when there is none: what a conditional write names."""
        bucket, key = split_uri(uri)
        try:
            got = self.s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return got["Body"].read(), got["ETag"].strip('"')

    def replace_if_match(self, uri: str, body: bytes, etag: str) -> str | None:
        """Overwrite the object only if it is still the version `etag` (S3 If-Match); its new ETag, or
        None when another writer replaced or removed it first."""
        bucket, key = split_uri(uri)
        try:
            put = self.s3.put_object(Bucket=bucket, Key=key, Body=body, IfMatch=f'"{etag}"')
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _CONDITION_FAILED:
                return None
            raise
        return str(put["ETag"]).strip('"')

    def delete_if_match(self, uri: str, etag: str) -> bool:
        """Delete the object only if it is still the version `etag`; True if this call deleted it."""
        bucket, key = split_uri(uri)
        try:
            self.s3.delete_object(Bucket=bucket, Key=key, IfMatch=f'"{etag}"')
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _CONDITION_FAILED:
                return False
            raise
        return True

    @contextmanager
    def stream(self, uri: str) -> Iterator[Any]:
        """An object's body as a file-like object read as it arrives (never whole in memory), closed after."""
        bucket, key = split_uri(uri)
        body = self.s3.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            yield body
        finally:
            body.close()

    def read_bytes(self, uri: str) -> bytes:
        return self.read_tagged(uri)[0]

    def read_tagged(self, uri: str) -> tuple[bytes, str]:
        """(body, ETag) of one object: the ETag of the bytes returned, whatever a listing said before."""
        bucket, key = split_uri(uri)
        got = self.s3.get_object(Bucket=bucket, Key=key)
        return got["Body"].read(), got["ETag"].strip('"')

    def download_prefix(self, uri: str, dest: Path) -> builtins.list[Path]:
        """Copy every object under an s3:// prefix to dest, keeping the key layout below the prefix."""
        bucket, prefix = split_uri(uri)
        files = []
        for obj in self.list(uri):
            rel = obj.key[len(prefix) :].lstrip("/") or Path(obj.key).name
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            self.s3.download_file(bucket, obj.key, str(target))
            files.append(target)
        return files

    def upload_dir(self, src: Path, uri: str) -> int:
        """Upload a local directory tree under an s3:// prefix; skips Spark's _SUCCESS and .crc files."""
        count = 0
        base = uri.rstrip("/")
        for path in sorted(src.rglob("*")):
            if path.is_dir() or path.name.startswith(("_", ".")):
                continue
            self.upload_file(path, f"{base}/{path.relative_to(src).as_posix()}")
            count += 1
        return count

    def delete_prefix(self, uri: str) -> int:
        bucket, _ = split_uri(uri)
        keys = [o.key for o in self.list(uri)]
        for i in range(0, len(keys), 1000):
            self.s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]]}
            )
        return len(keys)


Opener = Callable[[], AbstractContextManager[IO[bytes]]]  # opens a file's bytes for one read


def open_location(location: str, settings: Settings | None) -> Opener:
    """An opener of a file a Spark task reads itself: an s3:// object streamed with boto3 (on Glue, where
    the tasks have the job's role), else a local file (the local runner stages inputs to local files)."""
    if location.lower().startswith(("s3://", "s3a://", "s3n://")):
        if settings is None:
            raise ValueError(f"reading {location} needs the job's settings (region, endpoint)")
        uri = "s3://" + location.split("://", 1)[1]
        return lambda: Storage(settings).stream(uri)
    return lambda: open(location, "rb")


def gzip_intact(opener: Opener) -> bool:
    """Whether a gzip file decompresses to its end: streamed, nothing kept (a cut-off upload is not)."""
    try:
        with opener() as raw, gzip.GzipFile(fileobj=raw) as unzipped:
            while unzipped.read(1 << 20):
                pass
        return True
    except (OSError, EOFError, zlib.error):
        return False
