"""The SES mailbox simulator: what happens to mail sent to `...@simulator.amazonses.com`.

`success@` is delivered, `bounce@` hard-bounces, `ooto@` is delivered and answered with an
out-of-office reply, `complaint@` is delivered and complained about, `suppressionlist@`
bounces as an address on the suppression list. `+label` variants behave the same.
"""

from __future__ import annotations

from typing import Literal

from poolmail.ses.coverage import bare_address, is_simulator

Outcome = Literal["delivery", "bounce", "suppressed", "complaint", "ooto"]

_OUTCOMES: dict[str, Outcome] = {
    "success": "delivery",
    "bounce": "bounce",
    "suppressionlist": "suppressed",
    "complaint": "complaint",
    "ooto": "ooto",
}

AUTO_REPLY_SENDER = "ooto@simulator.amazonses.com"


def outcome(address: str) -> Outcome:
    """What becomes of mail to ``address``; any address outside the simulator is delivered."""
    if not is_simulator(address):
        return "delivery"
    local = bare_address(address).rpartition("@")[0].lower().split("+", 1)[0]
    # Unknown simulator mailboxes bounce, as a mailbox that does not exist would.
    return _OUTCOMES.get(local, "bounce")
