"""The explicit map from (service, operation) to the function that implements it.

Checked against the service models at import: every name must be a real operation and
every function must be named as botocore names the operation (``admin_create_user``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from botocore import xform_name

from poolmail.context import RequestContext
from poolmail.protocol.models import service_model

Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]

# Handlers that do only short, local work: statements on the store and bounded
# computation (a sign-in's SRP arithmetic and two RSA signatures, under a millisecond),
# no network I/O. On a store whose statements are local
# (SQLite, Database.local), the pipeline runs them on the event loop itself: for work this
# small the hop to a worker thread and back costs more than the work.
_LOCAL_ONLY: set[Handler] = set()


def local_only(handler: Handler) -> Handler:
    """Mark ``handler`` as short and local (see above)."""
    _LOCAL_ONLY.add(handler)
    return handler


def is_local_only(handler: Handler) -> bool:
    return handler in _LOCAL_ONLY


# Set while a local-only handler runs on the event loop itself (server/inline.py).
_ON_LOOP: ContextVar[bool] = ContextVar("poolmail_on_loop", default=False)


class LeaveLoop(Exception):
    """A local-only handler running on the event loop found it must wait on something
    (a pool's Lambda trigger, say): the pipeline runs it again in a worker thread. Raise
    it only before the handler's first write, so that running again changes nothing twice.
    """


def on_loop() -> bool:
    """True while the current handler runs on the event loop (see ``LeaveLoop``)."""
    return _ON_LOOP.get()


@contextmanager
def running_on_loop() -> Iterator[None]:
    """Mark the block as running a handler on the event loop."""
    token = _ON_LOOP.set(True)
    try:
        yield
    finally:
        _ON_LOOP.reset(token)


# Operations that only the newer models of the botocore range in pyproject.toml have: a
# server on an older botocore cannot route them, so it serves the others without them.
NEWER_MODEL_OPERATIONS = {
    "cognito-idp": {
        "AdminDeleteSoftwareToken",
        "AdminGetUserAuthFactors",
        "CancelPointInTimeRecovery",
        "CreateCIMDPolicy",
        "CreateUserPoolReplica",
        "DeleteCIMDPolicy",
        "DeleteUserPoolReplica",
        "DescribeCIMDPolicy",
        "DescribePointInTimeRecovery",
        "DescribeTermsByClient",
        "GetClientToken",
        "GetDerivedToken",
        "GetProvisionedLimit",
        "GetUserPoolClientSessionConfiguration",
        "GetUserPoolSessionConfiguration",
        "InitiatePointInTimeRecovery",
        "ListCIMDPolicies",
        "ListClientMetadataURLs",
        "ListPointInTimeRecoveries",
        "ListUserPoolReplicas",
        "SetUserPoolClientSessionConfiguration",
        "SetUserPoolSessionConfiguration",
        "StartPointInTimeRecovery",
        "UpdateCIMDPolicy",
        "UpdateClientMetadataURLState",
        "UpdateProvisionedLimit",
        "UpdateUserPoolReplica",
        "ListUserSessions",
        "AdminListUserSessions",
        "RevokeUserSession",
        "AdminRevokeUserSession",
    },
    "sesv2": {
        "AssociateEmailIdentityCertificate",
        "DisassociateEmailIdentityCertificate",
        "GetEmailAddressInsights",
        "ListEmailIdentityCertificates",
        "PutTenantSuppressionAttributes",
        "PutAccountDeliveryAttributes",
        "PutAccountPricingAttributes",
        "UpdateConfigurationSet",
    },
}


def check_registry(service: str, operations: Mapping[str, Handler]) -> dict[str, Handler]:
    """``operations`` as this botocore's model can serve them; an error for a name that is
    no operation of any supported model, or a function named otherwise."""
    known = set(service_model(service).operation_names)
    served: dict[str, Handler] = {}
    for name, handler in operations.items():
        if handler.__name__ != xform_name(name):
            raise RuntimeError(f"{service}.{name} is served by {handler.__name__}")
        if name in known:
            served[name] = handler
        elif name not in NEWER_MODEL_OPERATIONS.get(service, set()):
            raise RuntimeError(f"{service} has no operation {name}")
    return served


def build_registry() -> dict[str, dict[str, Handler]]:
    from poolmail.cognito import OPERATIONS as COGNITO
    from poolmail.ses import SES_OPERATIONS, SESV2_OPERATIONS

    registry = {"cognito-idp": COGNITO, "ses": SES_OPERATIONS, "sesv2": SESV2_OPERATIONS}
    return {service: check_registry(service, ops) for service, ops in registry.items()}
