"""The `code` of a custom sender's event: the code (or temporary password) encrypted with
the AWS Encryption SDK under the pool's `KMSKeyID`, through the KMS of the other-AWS
endpoint (`--aws-endpoint-url`), Base64-encoded, as the function decrypts it on AWS.

Facts: ../shared/facts/cognito-lambda-triggers.md section 7. The Encryption SDK and boto3
are imported here, at the first code encrypted (tests/test_cli.py LAZY_IMPORTS).
"""

from __future__ import annotations

import base64
import threading
from typing import Any

from poolmail.config import Settings

# The encryption context's key the documented key policy conditions on
# (`kms:EncryptionContext:userpool-id`) and that decrypting functions check.
CONTEXT_KEY = "userpool-id"

_lock = threading.Lock()
_clients: dict[tuple[str, str], Any] = {}


class CodeNotEncrypted(Exception):
    """The code could not be encrypted: ``code`` names why (KMS's error, or
    `KMSEndpointNotConfigured`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def endpoint(settings: Settings) -> str | None:
    """Where KMS is: `--kms-endpoint-url`, else the general `--aws-endpoint-url`."""
    return settings.kms_endpoint_url or settings.aws_endpoint_url


def _region(key_arn: str, settings: Settings) -> str:
    parts = key_arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else settings.default_region


def _kms(url: str, region: str) -> Any:
    with _lock:
        if (url, region) not in _clients:
            import boto3
            from botocore.config import Config

            # One quick attempt: a sender's mail waits on nothing, but a KMS that does not
            # answer should not hold its thread.
            config = Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1})
            _clients[(url, region)] = boto3.client(
                "kms", endpoint_url=url, region_name=region, config=config
            )
        return _clients[(url, region)]


def encrypt(settings: Settings, key_arn: str, pool_id: str, plaintext: str) -> str:
    """``plaintext`` as the Base64 text of an Encryption SDK message under ``key_arn``,
    with the encryption context {"userpool-id": ``pool_id``}.

    The SDK's default suite for committing encryption (message format 2, "AgV4...") is
    used: such a message decrypts under every commitment policy (facts section 7)."""
    url = endpoint(settings)
    if url is None:
        raise CodeNotEncrypted(
            "KMSEndpointNotConfigured",
            "no KMS to encrypt the code with: start poolmail with --aws-endpoint-url",
        )
    import aws_encryption_sdk  # type: ignore[import-untyped]
    from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError  # type: ignore[import-untyped]
    from aws_encryption_sdk.key_providers.kms import KMSMasterKey  # type: ignore[import-untyped]
    from botocore.exceptions import BotoCoreError, ClientError

    key = KMSMasterKey(key_id=key_arn, client=_kms(url, _region(key_arn, settings)))
    client = aws_encryption_sdk.EncryptionSDKClient(
        commitment_policy=aws_encryption_sdk.CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
    )
    try:
        ciphertext, _header = client.encrypt(
            source=plaintext.encode(),
            key_provider=key,
            encryption_context={CONTEXT_KEY: pool_id},
        )
    except AWSEncryptionSDKClientError as error:
        cause = error.__cause__
        if isinstance(cause, ClientError):
            raise CodeNotEncrypted(
                str(cause.response.get("Error", {}).get("Code", "KMSError")), str(cause)
            ) from error
        raise CodeNotEncrypted(type(error).__name__, str(error)) from error
    except (BotoCoreError, ClientError) as error:
        raise CodeNotEncrypted(type(error).__name__, str(error)) from error
    return base64.b64encode(ciphertext).decode("ascii")
