"""Amazon SES: one engine behind SES v1 (query) and SES v2 (REST-JSON)."""

from __future__ import annotations

from poolmail.operations import Handler
from poolmail.ses.identities import list_email_identities, list_identities

SES_OPERATIONS: dict[str, Handler] = {
    "ListIdentities": list_identities,
}

SESV2_OPERATIONS: dict[str, Handler] = {
    "ListEmailIdentities": list_email_identities,
}
