"""Amazon SES: one engine behind SES v1 (query) and SES v2 (REST-JSON).

Each resource module lists the operations it serves in ``V1`` and ``V2``.
"""

from __future__ import annotations

from poolmail.operations import Handler
from poolmail.ses import (
    account,
    bulk,
    configuration_set_options,
    configuration_sets,
    custom_verification,
    identities,
    policies,
    sending,
    sending_v2,
    tags,
    templates,
)
from poolmail.ses.authentication import dkim, mail_from
from poolmail.ses.contacts import contacts, lists
from poolmail.ses.events import destinations, notifications

_MODULES = (
    identities,
    account,
    templates,
    configuration_sets,
    policies,
    sending,
    sending_v2,
    bulk,
    custom_verification,
    tags,
    lists,
    contacts,
    configuration_set_options,
    mail_from,
    dkim,
    destinations,
    notifications,
)

SES_OPERATIONS: dict[str, Handler] = {
    name: handler for module in _MODULES for name, handler in module.V1.items()
}
SESV2_OPERATIONS: dict[str, Handler] = {
    name: handler for module in _MODULES for name, handler in module.V2.items()
}
