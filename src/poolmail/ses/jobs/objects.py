"""Where job files live: an S3 bucket through the S3 endpoint poolmail is configured with
(`--s3-endpoint-url`, else `--aws-endpoint-url`), or, with none, poolmail's own object
store (`ses_objects`, served at `/_poolmail/ses/objects/<bucket>/<key>`).

boto3 is imported at first use, never at start-up.
"""

from __future__ import annotations

import re
from typing import Any

from poolmail.aws_services.outbox import endpoint_for
from poolmail.config import Settings
from poolmail.store import Database, Transaction

# The model's S3Url pattern: `s3://bucket/key`, the key ending in a name.
S3_URL = re.compile(r"^s3:\/\/([^\/]+)\/(.*?([^\/]+)\/?)$")
# What one job reads at most: AWS takes up to 100,000 records an object (facts §1);
# a line of a record is well under 1 KB.
MAX_OBJECT_BYTES = 100 * 1024 * 1024


class ObjectError(Exception):
    """The object could not be read or written; the message says why, for FailureInfo."""


def split_url(url: str) -> tuple[str, str]:
    """``(bucket, key)`` of an `s3://bucket/key` URL (already checked against S3_URL)."""
    found = S3_URL.match(url)
    if found is None:
        raise ObjectError(f"Invalid S3 URL {url}.")
    return found.group(1), found.group(2)


def _client(settings: Settings, region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint_for(settings, "s3"),
        region_name=region,
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=5,
            read_timeout=30,
            retries={"total_max_attempts": 2},
        ),
    )


def uses_s3(settings: Settings) -> bool:
    return endpoint_for(settings, "s3") is not None


def read(db: Database, settings: Settings, region: str, url: str) -> bytes:
    bucket, key = split_url(url)
    if uses_s3(settings):
        try:
            answer = _client(settings, region).get_object(Bucket=bucket, Key=key)
            body: bytes = answer["Body"].read(MAX_OBJECT_BYTES + 1)
        except Exception as exc:  # any failure of S3 is the job's failure, told as such
            raise ObjectError(f"Failed to read {url}: {_reason(exc)}") from exc
    else:
        with db.transaction(readonly=True) as tx:
            row = tx.fetchone(
                "SELECT body FROM ses_objects WHERE bucket = ? AND object_key = ?", (bucket, key)
            )
        if row is None:
            raise ObjectError(f"Failed to read {url}: The specified key does not exist.")
        body = bytes(row[0])
    if len(body) > MAX_OBJECT_BYTES:
        raise ObjectError(f"The object {url} is larger than {MAX_OBJECT_BYTES} bytes.")
    return body


def write(db: Database, settings: Settings, region: str, url: str, body: bytes, now: float) -> None:
    bucket, key = split_url(url)
    if uses_s3(settings):
        try:
            _client(settings, region).put_object(Bucket=bucket, Key=key, Body=body)
        except Exception as exc:
            raise ObjectError(f"Failed to write {url}: {_reason(exc)}") from exc
        return
    with db.transaction() as tx:
        put_local(tx, bucket, key, body, now)


def put_local(tx: Transaction, bucket: str, key: str, body: bytes, now: float) -> None:
    tx.execute(
        "INSERT INTO ses_objects (bucket, object_key, created_at, body) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (bucket, object_key) DO UPDATE SET body = excluded.body, "
        "created_at = excluded.created_at",
        (bucket, key, now, body),
    )


def get_local(tx: Transaction, bucket: str, key: str) -> bytes | None:
    row = tx.fetchone(
        "SELECT body FROM ses_objects WHERE bucket = ? AND object_key = ?", (bucket, key)
    )
    return bytes(row[0]) if row is not None else None


def delete_local(tx: Transaction, bucket: str, key: str) -> bool:
    return (
        tx.execute("DELETE FROM ses_objects WHERE bucket = ? AND object_key = ?", (bucket, key)) > 0
    )


def _reason(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        if error.get("Message") or error.get("Code"):
            return str(error.get("Message") or error.get("Code"))
    return f"{type(exc).__name__}: {exc}"
