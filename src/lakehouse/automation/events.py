"""The event shapes the handlers receive, unpacked into small records.

Object events arrive as S3 notifications (directly, or in the body of an SQS message) or as
EventBridge "Object Created" events (directly or via SQS). S3 notifications URL-encode the key
(`+` for a space); EventBridge sends it as is. Glue state changes arrive as EventBridge events.
Anything else is malformed: it raises MalformedEvent, which the handler sends to the dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_plus

from lakehouse.errors import MalformedEvent


@dataclass(frozen=True)
class ObjectCreated:
    bucket: str
    key: str
    etag: str
    delivery_id: str  # the same for a re-delivery of the same notification
    region: str = ""  # where the event says it comes from ("" when its shape does not say)
    account: str = ""
    source: str = ""  # aws:s3 (notification) or aws.s3 (EventBridge)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class GlueStateChange:
    kind: str  # job | crawler
    name: str
    state: str
    run_id: str
    message: str
    event_id: str
    region: str
    account: str = ""
    source: str = ""


def records(event: dict) -> Iterator[dict]:
    """The individual records of an invocation: S3 notification records, SQS bodies, or the event itself."""
    for _, record in sourced(event):
        yield record


def sourced(event: object, message_id: str = "") -> Iterator[tuple[str, dict]]:
    """(SQS message id, record) of every record of an invocation; the message id is "" outside SQS.

    A handler that fails one record reports its message id in `batchItemFailures`, so SQS redelivers
    that message alone, not the batch."""
    if not isinstance(event, dict):
        yield message_id, {"_unreadable": repr(event)[:1000]}
        return
    if "Records" not in event:
        yield message_id, event
        return
    for record in event.get("Records") or []:
        if isinstance(record, dict) and record.get("eventSource") == "aws:sqs":
            mid = str(record.get("messageId", ""))
            try:
                body = json.loads(record.get("body", ""))
            except (ValueError, TypeError):
                yield mid, {"_unreadable": str(record.get("body", ""))[:1000]}
                continue
            if isinstance(body, dict) and body.get("Event") == "s3:TestEvent":
                continue  # S3 sends one when a notification is configured
            if isinstance(body, dict) and "Records" in body:
                yield from sourced(body, mid)
            else:
                yield mid, body
        else:
            yield message_id, record


def object_created(record: dict) -> ObjectCreated:
    """An S3 ObjectCreated notification record or an EventBridge Object Created event."""
    try:
        if "s3" in record:
            if not str(record.get("eventName", "")).startswith("ObjectCreated"):
                raise MalformedEvent(f"not an ObjectCreated event: {record.get('eventName')!r}")
            s3 = record["s3"]
            key = unquote_plus(s3["object"]["key"])
            etag = s3["object"].get("eTag", "")
            return ObjectCreated(
                s3["bucket"]["name"],
                key,
                etag,
                f"{s3['bucket']['name']}/{key}/{s3['object'].get('sequencer', etag)}",
                str(record.get("awsRegion", "")),
                "",
                str(record.get("eventSource", "aws:s3")),
            )
        if record.get("detail-type") == "Object Created":
            detail = record["detail"]
            return ObjectCreated(
                detail["bucket"]["name"],
                detail["object"]["key"],
                detail["object"].get("etag", ""),
                record["id"],
                str(record.get("region", "")),
                str(record.get("account", "")),
                str(record.get("source", "")),
            )
    except (KeyError, TypeError) as exc:
        raise MalformedEvent(f"object event without {exc}") from None
    raise MalformedEvent("neither an S3 notification nor an EventBridge Object Created event")


def glue_state_change(record: dict) -> GlueStateChange:
    """An EventBridge "Glue Job State Change" or "Glue Crawler State Change" event."""
    try:
        kind = {"Glue Job State Change": "job", "Glue Crawler State Change": "crawler"}[record["detail-type"]]
        detail = record["detail"]
        if kind == "job":
            return GlueStateChange(
                kind,
                detail["jobName"],
                detail["state"],
                detail["jobRunId"],
                detail.get("message", ""),
                record["id"],
                record.get("region", ""),
                str(record.get("account", "")),
                str(record.get("source", "")),
            )
        return GlueStateChange(
            kind,
            detail["crawlerName"],
            detail["state"],
            "",
            detail.get("errorMessage", "") or detail.get("message", ""),
            record["id"],
            record.get("region", ""),
            str(record.get("account", "")),
            str(record.get("source", "")),
        )
    except (KeyError, TypeError) as exc:
        raise MalformedEvent(f"Glue state change without {exc}") from None


EXPECTED_SOURCES = {"s3": ("aws:s3", "aws.s3"), "glue": ("aws.glue",)}


def foreign(
    event: ObjectCreated | GlueStateChange, service: str, region: str, account: str | None
) -> str | None:
    """Why an event does not come from this account's own service in this region (None: it does).
    Fields an event's shape does not carry are not held against it (an S3 notification has no account:
    its bucket, one of ours, says whose it is)."""
    if event.source and event.source not in EXPECTED_SOURCES[service]:
        return f"event source {event.source[:40]!r} is not {service}"
    if event.region and region and event.region != region:
        return f"event from region {event.region[:20]!r}, not {region}"
    if event.account and account and event.account != account:
        return "event from another account"
    return None
