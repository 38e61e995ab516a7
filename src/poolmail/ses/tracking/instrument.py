"""Adding the open pixel and rewriting links of an outgoing message whose configuration
set tracks opens or clicks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from poolmail.context import RequestContext
from poolmail.ses.tracking import links, parts
from poolmail.store import Transaction

if TYPE_CHECKING:
    from poolmail.ses.sending.outbound import Outgoing
    from poolmail.ses.tracking.markup import Link


def tracked_kinds(
    tx: Transaction, account: str, region: str, configuration_set: str
) -> frozenset[links.Kind]:
    """What a send under ``configuration_set`` tracks.

    AWS quirk: opens and clicks are tracked for a set whose event destinations publish
    OPEN or CLICK events; TrackingOptions name the redirect domain
    (docs.aws.amazon.com/ses/latest/dg/configure-custom-open-click-domains.html).
    Choice: poolmail also tracks both once the set has TrackingOptions (v1
    Create/UpdateConfigurationSetTrackingOptions, v2 PutConfigurationSetTrackingOptions),
    so a set configured for tracking shows it before any destination exists; an enabled
    destination matching OPEN (CLICK) tracks opens (clicks). One indexed query: the set's
    row joined to its destinations (ses/events/destination_store.py's table).
    """
    rows = tx.fetchall(
        "SELECT c.data, d.data FROM ses_configuration_sets c "
        "LEFT JOIN ses_event_destinations d ON d.account = c.account "
        "AND d.region = c.region AND d.configuration_set = c.name "
        "WHERE c.account = ? AND c.region = ? AND c.name = ?",
        (account, region, configuration_set),
    )
    if not rows:
        return frozenset()
    if "TrackingOptions" in json.loads(rows[0][0]):
        return frozenset(("open", "click"))
    kinds: set[links.Kind] = set()
    for _, destination in rows:
        definition = json.loads(destination) if destination is not None else {}
        if not definition.get("Enabled"):
            continue
        types = definition.get("MatchingEventTypes") or []
        if "OPEN" in types:
            kinds.add("open")
        if "CLICK" in types:
            kinds.add("click")
    return frozenset(kinds)


def instrument(
    tx: Transaction, ctx: RequestContext, outgoing: Outgoing, account: str, region: str
) -> bytes:
    """The message's MIME bytes, with its HTML parts tracked when its configuration set
    tracks opens or clicks; ``outgoing.raw`` unchanged otherwise.

    Text parts and attachments are left as they are; each HTML part keeps its charset
    and transfer encoding. Every tracked link gets its own token, so a click names the
    link and its `ses:tags`; all HTML parts of the message share one open pixel.
    """
    if outgoing.configuration_set is None:
        return outgoing.raw
    kinds = tracked_kinds(tx, account, region, outgoing.configuration_set)
    if not kinds:
        return outgoing.raw
    # Imported at the first tracked send: html.parser stays out of start-up (test_cli).
    from poolmail.ses.tracking import markup

    now = ctx.clock.now().timestamp()
    message_id = outgoing.message_id
    # Mail sent over SMTP or for Cognito has no request URL: the server's own address.
    base = ctx.base_url or f"http://{ctx.settings.host}:{ctx.settings.port}"
    pixels: list[str] = []

    def pixel_url() -> str | None:
        if "open" not in kinds:
            return None
        if not pixels:  # made for the first HTML part, so mail without one has none
            pixels.append(links.url(base, "open", links.add(tx, message_id, "open", now)))
        return pixels[0]

    def click_url(link: Link) -> str:
        token = links.add(tx, message_id, "click", now, link.url, link.tags)
        return links.url(base, "click", token)

    def change(text: str) -> str:
        return markup.track(
            text, pixel_url=pixel_url(), click_url=click_url if "click" in kinds else None
        )

    return parts.rewrite_html(outgoing.raw, change)
