"""Form-encoded fields (SES v1's query protocol) read as ``urllib.parse.parse_qsl`` reads
them, in a fraction of its time.

``parse_qsl`` replaces ``+`` and calls ``unquote`` on every name and every value, each a
Python call of a few steps even when there is nothing to decode: 9.4 us for an SES
SendEmail body of six fields, 2.3 us for GetSendQuota's two. Here a piece without a
``%`` is taken as it is, which is what ``unquote`` would give back, and only the others
are decoded; an ASCII one (boto3 escapes every "@") straight from its bytes, which is
what ``unquote`` does for each ASCII run after splitting the text into runs
(tests/protocol/test_form.py holds the two together).
"""

from __future__ import annotations

from urllib.parse import unquote, unquote_to_bytes


def parse_form(text: str) -> list[tuple[str, str]]:
    """``parse_qsl(text, keep_blank_values=True)``."""
    pairs: list[tuple[str, str]] = []
    # parse_qsl splits at "&" first, then replaces "+" in each half: the same as
    # replacing it first, since neither "&" nor "=" is a "+".
    for piece in text.replace("+", " ").split("&"):
        if not piece:
            continue
        # No "=": a name with a blank value, as keep_blank_values has it.
        name, _, value = piece.partition("=")
        if "%" in name:
            name = _unquote(name)
        if "%" in value:
            value = _unquote(value)
        pairs.append((name, value))
    return pairs


def _unquote(text: str) -> str:
    if text.isascii():
        return unquote_to_bytes(text).decode("utf-8", "replace")
    return unquote(text)
