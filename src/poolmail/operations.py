"""The explicit map from (service, operation) to the function that implements it.

Checked against the service models at import: every name must be a real operation and
every function must be named as botocore names the operation (``admin_create_user``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def check_registry(service: str, operations: Mapping[str, Handler]) -> None:
    known = set(service_model(service).operation_names)
    for name, handler in operations.items():
        if name not in known:
            raise RuntimeError(f"{service} has no operation {name}")
        if handler.__name__ != xform_name(name):
            raise RuntimeError(f"{service}.{name} is served by {handler.__name__}")


def build_registry() -> dict[str, dict[str, Handler]]:
    from poolmail.cognito import OPERATIONS as COGNITO
    from poolmail.ses import SES_OPERATIONS, SESV2_OPERATIONS

    registry = {"cognito-idp": COGNITO, "ses": SES_OPERATIONS, "sesv2": SESV2_OPERATIONS}
    for service, operations in registry.items():
        check_registry(service, operations)
    return registry
