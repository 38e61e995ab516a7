"""PreSignUp and PostConfirmation: the functions around a user's creation and confirmation.

Facts: ../shared/facts/cognito-lambda-triggers.md section 3 (PreSignUp, PostConfirmation)
and section 4 (their order).

A federated user's first sign-in calls ``pre_sign_up`` with EXTERNAL_PROVIDER before the
user is stored, then ``post_confirmation`` with CONFIRM_SIGN_UP once it is (section 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.triggers import invoke
from poolmail.cognito.triggers.events import user_attributes, with_metadata
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

if TYPE_CHECKING:
    from poolmail.cognito.users.users import StoredUser

SIGN_UP = "PreSignUp_SignUp"
ADMIN_CREATE_USER = "PreSignUp_AdminCreateUser"
EXTERNAL_PROVIDER = "PreSignUp_ExternalProvider"
CONFIRM_SIGN_UP = "PostConfirmation_ConfirmSignUp"
CONFIRM_FORGOT_PASSWORD = "PostConfirmation_ConfirmForgotPassword"

_FLAGS = ("autoConfirmUser", "autoVerifyEmail", "autoVerifyPhone")


@dataclass(frozen=True, slots=True)
class Admission:
    """What a PreSignUp function decided: the response's three flags."""

    confirm: bool = False
    verify_email: bool = False
    verify_phone: bool = False


def pre_sign_up(
    ctx: RequestContext,
    pool: StoredPool,
    source: str,
    user_name: str,
    attributes: dict[str, str],
    *,
    client_id: str | None,
    validation: dict[str, str] | None,
    metadata: dict[str, str] | None,
) -> Admission:
    """Run the pool's PreSignUp function, if any, for a user about to be created; its
    decision. A function error refuses the sign-up (the caller creates nothing).

    ``source``: SIGN_UP, ADMIN_CREATE_USER, or EXTERNAL_PROVIDER (a federated user's first
    sign-in, whose caller is the federation). For ADMIN_CREATE_USER "the response
    parameters ... are ignored" (D2023 PSU): the caller ignores the Admission."""
    if invoke.configured(pool, "PreSignUp") is None:
        return Admission()
    request = with_metadata(
        {"userAttributes": dict(attributes), "validationData": validation}, metadata
    )
    response: dict[str, Any] = {flag: False for flag in _FLAGS}
    event = invoke.envelope(ctx, pool, source, user_name, request, response, client_id=client_id)
    answer = invoke.call(ctx, pool, "PreSignUp", event)
    for flag in _FLAGS:
        if not isinstance(answer.get(flag, False), bool | None):
            raise AwsError("InvalidLambdaResponseException", invoke.UNRECOGNIZABLE)
    return Admission(
        confirm=bool(answer.get("autoConfirmUser")),
        verify_email=bool(answer.get("autoVerifyEmail")),
        verify_phone=bool(answer.get("autoVerifyPhone")),
    )


def apply_verification(admission: Admission, attributes: dict[str, str]) -> None:
    """Mark the attributes a PreSignUp function verified. D2023 PSU: "the email attribute
    must have a valid, non-null value. Otherwise an error will occur and the user will not
    be able to complete sign-up"."""
    for wanted, name in (
        (admission.verify_email, "email"),
        (admission.verify_phone, "phone_number"),
    ):
        if not wanted:
            continue
        if not attributes.get(name):
            # Choice: AWS's error is not documented; the attribute is what is missing.
            raise AwsError(
                "InvalidParameterException",
                f"Cannot auto verify {name}: the user has no {name} attribute.",
            )
        attributes[f"{name}_verified"] = "true"


def post_confirmation(
    ctx: RequestContext,
    pool: StoredPool,
    source: str,
    user: StoredUser,
    *,
    client_id: str | None,
    metadata: dict[str, str] | None,
) -> None:
    """Run the pool's PostConfirmation function, if any, after the confirmation is stored.
    Its failure reaches the client while the user stays confirmed, as on AWS."""
    if invoke.configured(pool, "PostConfirmation") is None:
        return
    request = with_metadata({"userAttributes": user_attributes(pool, user)}, metadata)
    event = invoke.envelope(ctx, pool, source, user.username, request, {}, client_id=client_id)
    invoke.call(ctx, pool, "PostConfirmation", event)
