"""Opaque pagination tokens: keyset positions, so a page costs the same at any depth."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from poolmail.protocol.errors import AwsError


def encode_token(position: list[Any]) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_token(token: str, error_code: str, size: int) -> list[Any]:
    """The position a token stands for; a token poolmail did not issue is refused."""
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise AwsError(error_code, "Invalid pagination token.") from exc
    if not isinstance(position, list) or len(position) != size:
        raise AwsError(error_code, "Invalid pagination token.")
    return position
