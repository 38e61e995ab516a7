"""The botocore service models poolmail serves, loaded once per process."""

from __future__ import annotations

import sys
from functools import cache
from typing import Final

# botocore imports urllib3.contrib.pyopenssl whenever pyOpenSSL is installed (the webauthn
# library needs it), only to name the SSLContext class urllib3 had before anybody injected
# pyOpenSSL: the class urllib3.util.ssl_ holds, botocore's fallback, unless an injection
# already happened. Loading pyOpenSSL and cryptography for that name cost 40 ms of every
# start-up, so botocore's first import takes the fallback; later imports of the module
# work as usual.
_PYOPENSSL = "urllib3.contrib.pyopenssl"
_blocked = _PYOPENSSL not in sys.modules and "botocore.httpsession" not in sys.modules
if _blocked:
    sys.modules[_PYOPENSSL] = None  # type: ignore[assignment]
try:
    import botocore.loaders
    from botocore.model import OperationModel, ServiceModel, Shape
finally:
    if _blocked:
        del sys.modules[_PYOPENSSL]

COGNITO_IDP: Final = "cognito-idp"
SES: Final = "ses"
SESV2: Final = "sesv2"
SERVICES: Final = (COGNITO_IDP, SES, SESV2)


@cache
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


@cache
def service_model(name: str) -> ServiceModel:
    # Not Loader.load_service_model: before loading, it lists every service botocore ships
    # (some 400 directories, a stat each) to check the name, which cost more than reading
    # and parsing the model itself. Its other step, merging "sdk-extras" files, has nothing
    # to merge for these services (test_models holds the two ways equal).
    loader = _loader()
    version = loader.determine_latest_version(name, "service-2")
    return ServiceModel(loader.load_data(f"{name}/{version}/service-2"), service_name=name)


# Operations found, by service and name: `operation_names` is a list (a scan of some 120
# names), and botocore's own cache of operation models builds a key for every look-up.
# Only names the model has are kept, so a caller's invented names cannot grow it.
_OPERATIONS: dict[tuple[str, str], OperationModel] = {}


def operation_model(service: str, operation: str) -> OperationModel | None:
    found = _OPERATIONS.get((service, operation))
    if found is not None:
        return found
    model = service_model(service)
    if operation not in model.operation_names:
        return None
    found = _OPERATIONS[(service, operation)] = model.operation_model(operation)
    return found


@cache
def error_shapes(service: str) -> dict[str, Shape]:
    """Error shapes by shape name, the name service code raises."""
    return {shape.name: shape for shape in service_model(service).error_shapes}


def error_wire_code(service: str, name: str) -> str:
    """The code a client sees for an error: the model's ``error.code`` or the shape name."""
    shape = error_shapes(service).get(name)
    if shape is None:
        return name
    error = shape.metadata.get("error") or {}
    return str(error.get("code", name))


def error_status(service: str, name: str) -> int | None:
    shape = error_shapes(service).get(name)
    if shape is None:
        return None
    error = shape.metadata.get("error") or {}
    if "httpStatusCode" in error:
        return int(error["httpStatusCode"])
    return 500 if shape.metadata.get("fault") else 400
