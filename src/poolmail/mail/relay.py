"""Handing delivered messages on to a real SMTP server (`--relay smtp://host:port`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

log = logging.getLogger("poolmail.relay")

TIMEOUT_SECONDS = 10.0


def parse_relay(url: str) -> tuple[str, int]:
    """`smtp://host:port` -> (host, port); port 25 when absent."""
    parts = urlsplit(url)
    if parts.scheme != "smtp" or not parts.hostname:
        raise ValueError(f"a relay is smtp://host:port, not {url!r}")
    return parts.hostname, parts.port or 25


def relay(url: str, envelope_from: str, recipients: Sequence[str], raw: bytes) -> str | None:
    """Send ``raw`` on; None on success, otherwise the SMTP server's complaint.

    Relaying happens after SES accepted the message, as real delivery does: a relay that
    is down shows in the message's events, it does not undo the send.
    """
    # Imported here: the command line parses --relay at every start, smtplib is needed
    # only when a message is relayed.
    import smtplib

    host, port = parse_relay(url)
    try:
        with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as client:
            refused = client.sendmail(envelope_from, list(recipients), raw)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("relay to %s failed: %s", url, error)
        return str(error)
    if refused:
        return "; ".join(f"{address}: {code} {text!r}" for address, (code, text) in refused.items())
    return None
