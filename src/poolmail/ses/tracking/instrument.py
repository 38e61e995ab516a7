"""Adding the open pixel and rewriting links of an outgoing message. Placeholder until
built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poolmail.context import RequestContext
from poolmail.store import Transaction

if TYPE_CHECKING:
    from poolmail.ses.outbound import Outgoing


def instrument(
    tx: Transaction, ctx: RequestContext, outgoing: Outgoing, account: str, region: str
) -> bytes:
    """The message's MIME bytes, with its HTML parts tracked when its configuration set
    tracks opens or clicks; ``outgoing.raw`` unchanged otherwise."""
    return outgoing.raw
