"""Handing delivered messages on to a real SMTP server (`--relay smtp://host:port`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import ssl

log = logging.getLogger("poolmail.relay")

TIMEOUT_SECONDS = 10.0


def parse_relay(url: str) -> tuple[str, int]:
    """`smtp://host:port` -> (host, port); port 25 when absent."""
    parts = urlsplit(url)
    if parts.scheme != "smtp" or not parts.hostname:
        raise ValueError(f"a relay is smtp://host:port, not {url!r}")
    return parts.hostname, parts.port or 25


def relay(
    url: str,
    envelope_from: str,
    recipients: Sequence[str],
    raw: bytes,
    *,
    require_tls: bool = False,
) -> str | None:
    """Send ``raw`` on; None on success, otherwise the SMTP server's complaint.

    ``require_tls`` (a configuration set's TlsPolicy REQUIRE) hands the message over only
    inside STARTTLS, as SES then delivers only over TLS. Certificates are not checked:
    SES's TLS to receiving servers is opportunistic encryption, not authentication.

    Relaying happens after SES accepted the message, as real delivery does: a relay that
    is down shows in the message's events, it does not undo the send.
    """
    # Imported here: the command line parses --relay at every start, smtplib is needed
    # only when a message is relayed.
    import smtplib

    host, port = parse_relay(url)
    try:
        with smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS) as client:
            if require_tls:
                client.ehlo()
                if not client.has_extn("starttls"):
                    return "TLS is required (TlsPolicy REQUIRE) and the server offers no STARTTLS"
                client.starttls(context=_unverified_tls())
            refused = client.sendmail(envelope_from, list(recipients), raw)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("relay to %s failed: %s", url, error)
        return str(error)
    if refused:
        return "; ".join(f"{address}: {code} {text!r}" for address, (code, text) in refused.items())
    return None


def _unverified_tls() -> ssl.SSLContext:
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
