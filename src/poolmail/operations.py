"""The explicit map from (service, operation) to the function that implements it.

Checked against the service models at import: every name must be a real operation and
every function must be named as botocore names the operation (``admin_create_user``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from importlib import import_module
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


def running_on_loop() -> AbstractContextManager[None]:
    """Mark the block as running a handler on the event loop."""
    return _RunningOnLoop()


class _RunningOnLoop:
    # A class rather than a generator under ``contextmanager``: entered on every request
    # run on the loop, where the generator's machinery cost more than the work.
    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _ON_LOOP.set(True)

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        _ON_LOOP.reset(self._token)


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


# Where each service's handler modules are listed (``HANDLER_MODULES``) and the name of the
# table each of those modules gives its operations in.
_SOURCES = {
    "cognito-idp": ("poolmail.cognito", "OPERATIONS"),
    "ses": ("poolmail.ses", "V1"),
    "sesv2": ("poolmail.ses", "V2"),
}


def _module_names(service: str) -> list[str]:
    package, _ = _SOURCES[service]
    return [f"{package}.{name}" for name in import_module(package).HANDLER_MODULES]


def _table(module: str, service: str) -> Mapping[str, Handler]:
    table: Mapping[str, Handler] = getattr(import_module(module), _SOURCES[service][1])
    return table


def load_operations(service: str) -> dict[str, Handler]:
    """Every operation ``service``'s modules list, each module imported."""
    return {
        name: handler
        for module in _module_names(service)
        for name, handler in _table(module, service).items()
    }


def build_registry() -> dict[str, dict[str, Handler]]:
    """Every service's operations, every module imported and checked against the models."""
    return {service: check_registry(service, load_operations(service)) for service in _SOURCES}


def service_index(service: str) -> dict[str, str]:
    """Which module's table lists each of ``service``'s operations (the last, as in
    ``load_operations``), every module imported."""
    return {name: module for module in _module_names(service) for name in _table(module, service)}


def handler_index() -> dict[str, dict[str, str]]:
    """What ``poolmail.handler_index`` must hold."""
    return {service: service_index(service) for service in _SOURCES}


class LazyOperations(Mapping[str, Handler]):
    """A service's operations, each module imported at the first call of one of its
    operations: importing all of them (some 200 modules) was most of a start-up.

    ``index`` (``poolmail.handler_index``) says which module serves each operation; its
    names are checked against the model at the service's first call, each handler's name
    when it is loaded. An operation the index misses or misplaces (a stale index) makes
    the service's modules load in full, as ``build_registry`` does: a stale index slows
    one call and changes no answer (tests/test_registry.py keeps it current).
    """

    def __init__(self, service: str, index: Mapping[str, str]) -> None:
        self._service = service
        self._index = dict(index)
        self._checked = False
        self._complete = False
        self._handlers: dict[str, Handler] = {}

    def __getitem__(self, name: str) -> Handler:
        handler = self._handlers.get(name)
        if handler is not None:
            return handler
        self._check()
        found = self._indexed(name)
        if found is None and not self._complete:
            self._load_all()
            found = self._handlers.get(name)
        if found is None:
            raise KeyError(name)
        if found.__name__ != xform_name(name):
            raise RuntimeError(f"{self._service}.{name} is served by {found.__name__}")
        self._handlers[name] = found
        return found

    def _indexed(self, name: str) -> Handler | None:
        module = self._index.get(name)
        if not module:
            return None
        try:
            return _table(module, self._service).get(name)
        except ModuleNotFoundError as missing:
            if missing.name != module:  # the module is there and failed an import itself
                raise
            return None

    def __iter__(self) -> Iterator[str]:
        self._check()
        return iter(self._index)

    def __len__(self) -> int:
        self._check()
        return len(self._index)

    def _check(self) -> None:
        if self._checked:
            return
        # Built apart and swapped in whole: the console's and the hosted pages' threads
        # may look handlers up at the same time as the event loop.
        known = set(service_model(self._service).operation_names)
        newer = NEWER_MODEL_OPERATIONS.get(self._service, set())
        unknown = [name for name in self._index if name not in known and name not in newer]
        if unknown:
            raise RuntimeError(f"{self._service} has no operation {unknown[0]}")
        self._index = {name: module for name, module in self._index.items() if name in known}
        self._checked = True

    def _load_all(self) -> None:
        self._handlers = check_registry(self._service, load_operations(self._service))
        self._index = {name: self._index.get(name, "") for name in self._handlers}
        self._complete = True


def lazy_registry() -> dict[str, Mapping[str, Handler]]:
    """The registry the server uses: nothing imported until an operation is called."""
    from poolmail.handler_index import INDEX

    return {service: LazyOperations(service, INDEX[service]) for service in _SOURCES}
