"""The one exception service code raises to answer with an AWS error."""

from __future__ import annotations

from typing import Any


class AwsError(Exception):
    """An error answer in AWS's terms.

    ``code`` is the error shape's name in the service model (``InvalidParameterException``,
    ``MessageRejected``) or a protocol-level code AWS uses without modelling it
    (``ValidationError``, ``Throttling``). The serialiser turns it into the wire code and
    takes the HTTP status from the model unless ``status`` is given.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or {}


def not_implemented(service: str, operation: str) -> AwsError:
    # HTTP 501 names the operation, so a user knows exactly what poolmail lacks and that
    # the answer is no success in disguise.
    return AwsError(
        "NotImplemented",
        f"The operation {operation} of {service} is not implemented in poolmail yet.",
        status=501,
    )


def internal_error(service: str) -> AwsError:
    code = "InternalErrorException" if service == "cognito-idp" else "InternalFailure"
    return AwsError(code, "An internal error occurred in poolmail.", status=500)
