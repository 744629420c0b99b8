"""Where a job reads and writes: the seam between job code and storage.

On Glue, Spark reads and writes s3:// itself, so `DirectIO` hands URIs through. Locally there is no
s3a, so the local runner passes a staging IO (lakehouse.local.runner.StagingIO) that copies inputs
from the emulated S3 to local files and uploads outputs after Spark wrote them. Job code calls the
same four methods either way and never knows which it got.
"""

from __future__ import annotations

from typing import Protocol

from pyspark.sql import Column


class JobIO(Protocol):
    """The four calls job code makes to reach storage."""

    def readable(self, uris: list[str]) -> list[str]: ...

    def source_uri(self, input_file: Column) -> Column: ...

    def writable(self, uri: str) -> str: ...

    def commit(self, uri: str) -> None: ...


class DirectIO:
    """Spark talks to the storage itself (AWS Glue)."""

    def readable(self, uris: list[str]) -> list[str]:
        """Paths Spark can read for these objects or prefixes."""
        return list(uris)

    def source_uri(self, input_file: Column) -> Column:
        """The storage URI of a file Spark read, from input_file_name()."""
        return input_file

    def writable(self, uri: str) -> str:
        """Path Spark should write to for this destination URI."""
        return uri

    def commit(self, uri: str) -> None:
        """Make what Spark wrote for `uri` available at `uri` (nothing to do when Spark wrote there)."""
