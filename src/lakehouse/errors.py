"""The kit's one error hierarchy: every exception class of ours derives from LakehouseError.

Two families, by what the person at the keyboard does next:
- UsageError (exit 2): the input is wrong and nothing ran: a bad argument, an unknown dataset, an
  invalid contract, a landing file the job would not read, a contract change old data cannot follow.
- RunError (exit 1): a run, a query or a deploy was tried and failed: quality or quarantine over its
  limit, a reconciliation that does not add up, a lock held by another run, a query the engine refuses.

`lakehouse.cli.commands.main` maps the two families to their exit codes, and the job runner's audit quotes the
message of any LakehouseError in full (their messages are built from codes, counts, names and URIs,
never from a record's data) and of anything else only its type. Each class also keeps the built-in
base it had before (ValueError, RuntimeError), so callers that catch those still do.
"""

from __future__ import annotations

from pathlib import Path


class LakehouseError(Exception):
    """The base of every error the kit raises on purpose."""


class UsageError(LakehouseError):
    """Misuse or bad input, found before anything ran: one line on stderr, exit 2."""


class RunError(LakehouseError):
    """A run, query or deployment that was tried and failed: one line on stderr, exit 1."""


# usage -------------------------------------------------------------------------------------------


class ContractError(UsageError, ValueError):
    """An invalid contract: the message names the file, the field and the problem, on one line."""

    def __init__(self, path: Path | str, where: str, problem: str):
        self.path, self.where, self.problem = str(path), where, problem
        super().__init__(f"{path}: {where}: {problem}")


class IngestError(UsageError, ValueError):
    """Bad ingest input (a missing path, nothing to ingest): the CLI shows it on one line, exit 2."""


class SchemaChangeError(UsageError, ValueError):
    """A contract change that existing data cannot follow (a column removed, retyped or reordered)."""


# runs --------------------------------------------------------------------------------------------


class QualityError(RunError, RuntimeError):
    """A critical quality rule failed beyond its threshold: the run publishes nothing."""


class QuarantineLimitError(RunError, RuntimeError):
    """More of the run's rows were quarantined than the contract allows: the run publishes nothing."""


class ReconciliationError(RunError, RuntimeError):
    """rows read != rows written + duplicates removed + rows quarantined: nothing is published."""


class PartitionValueError(RunError, ValueError):
    """A partition value that cannot be published: null, or path-like. Nothing is published."""


class RunInProgress(RunError, RuntimeError):
    """Another run of the same dataset and stage holds the lock."""


class JobFailed(RunError, RuntimeError):
    """A run failed on an error that is not the kit's own: its message names the type only."""


class QueryError(RunError, ValueError):
    """A query that cannot run: syntax error, unknown table or column. One line, for the CLI."""


# automation and the local loop -------------------------------------------------------------------


class MalformedEvent(RunError, ValueError):
    """An event a handler cannot read; it goes to the dead-letter queue with this reason."""


class Ignored(LakehouseError):
    """An event that is not ours to act on (another dataset's object, a foreign layout): counted, not
    an error; a handler's decision raises it to stop."""


class StartFailed(RunError, RuntimeError):
    """A job start failed for a reason other than the concurrency limit (its request was cleared)."""


class TerraformError(RunError, RuntimeError):
    """A Terraform command failed; the message holds its last error lines."""


class ForeignEndpoint(RunError, RuntimeError):
    """Something `up` did not start answers on the port, and the user did not ask to reuse it."""


class NotDeployed(RunError, LookupError):
    """A resource of the local environment (a queue, the alerts topic) does not exist: `lakehouse
    deploy` has not run for it."""
