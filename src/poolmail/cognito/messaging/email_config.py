"""EmailConfiguration checks, run on CreateUserPool and on every UpdateUserPool that carries
one (AWS re-validates even a rename): identity ownership, SES region, exact verification,
the From address, and Cognito's sending authorisation (AWS_FACTS §1, §3, §8).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.messaging.ses_regions import allowed_ses_regions
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.ses.identities import policies
from poolmail.ses.identities.coverage import bare_address, verified_identities
from poolmail.ses.identities.verification import normalize_identity
from poolmail.store import Transaction

COGNITO_DEFAULT = "COGNITO_DEFAULT"
DEVELOPER = "DEVELOPER"
COGNITO_EMAIL_SERVICE = "email.cognito-idp.amazonaws.com"

# AWS's texts, seen in real answers (AWS_FACTS §1).
NOT_YOUR_ARN = "Email arn does not belong to your account."
FROM_WITHOUT_IDENTITY = "Cannot configure From email address for default email configuration"
NOT_ALLOWED = "Cognito is not allowed to use your email identity"
NOT_VERIFIED = (
    "Cognito received the following error from Amazon SES when attempting to send email: "
    "Email address is not verified. The following identities failed the check in region "
    "{region}: {arn}"
)

_IDENTITY_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:ses:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"identity/(?P<identity>[^/:\s]+)"
)


@dataclass(frozen=True, slots=True)
class SourceIdentity:
    region: str
    account: str
    identity: str  # as SES stores it: addresses keep their case, domains are lower-cased


def parse_source_arn(arn: str) -> SourceIdentity | None:
    """The SES identity an ARN names, or None when it is not an SES identity ARN."""
    match = _IDENTITY_ARN.fullmatch(arn)
    if match is None:
        return None
    identity = normalize_identity(match["identity"])[0]
    return SourceIdentity(match["region"], match["account"], identity)


def covers(identity: str, address: str) -> bool:
    """Whether the SourceArn identity may appear as the From address ``address``.

    A domain identity covers its addresses and its subdomains' addresses, as SES does.
    Choice: an address identity covers exactly itself (local part case-sensitive, domain
    not) and not its +labels: Cognito checks the identity the ARN names, so the ARN and
    the From stay one address.
    """
    local, at, domain = bare_address(address).rpartition("@")
    if not at or not local:
        return False
    domain = domain.lower()
    if "@" in identity:
        own_local, _, own_domain = identity.rpartition("@")
        return local == own_local and domain == own_domain.lower()
    return domain == identity or domain.endswith("." + identity)


def validate(
    tx: Transaction, ctx: RequestContext, pool_arn: str, config: dict[str, Any]
) -> dict[str, Any]:
    """The configuration as the pool stores it, or the error AWS answers."""
    stored = {key: value for key, value in config.items() if value is not None}
    stored.setdefault("EmailSendingAccount", COGNITO_DEFAULT)
    sending_account = stored["EmailSendingAccount"]
    arn = stored.get("SourceArn")
    if arn is None:
        if sending_account == DEVELOPER:
            # Not found: AWS's text for DEVELOPER without SourceArn (AWS_FACTS open
            # question 4); the parameter error names what is missing.
            raise AwsError(
                "InvalidParameterException",
                "SourceArn is required when EmailSendingAccount is DEVELOPER.",
            )
        if stored.get("From") is not None:
            raise AwsError("InvalidParameterException", FROM_WITHOUT_IDENTITY)
        return stored
    source = parse_source_arn(arn)
    # AWS quirk: a malformed identity ARN and another account's identity get the same
    # NotAuthorizedException (aws-cdk#25115: an ARN ending in "identity/").
    if source is None or source.account != ctx.account_id:
        raise AwsError("NotAuthorizedException", NOT_YOUR_ARN)
    allowed = allowed_ses_regions(ctx.region)
    if source.region not in allowed:
        # Not found: AWS's text for an SES region the pool's region may not use
        # (AWS_FACTS §3); a parameter error that names both regions and the choices.
        raise AwsError(
            "InvalidParameterException",
            f"The SES region {source.region} of SourceArn {arn} is not supported for user "
            f"pools in {ctx.region}; use an identity in one of: {', '.join(allowed)}.",
        )
    now = ctx.clock.now().timestamp()
    # AWS quirk: the identity the ARN names must itself be verified; a verified domain
    # does not make an address ARN valid (aws-amplify/amplify-backend#3134).
    if not verified_identities(tx, source.account, source.region, [source.identity], now):
        message = NOT_VERIFIED.format(region=source.region.upper(), arn=arn)
        raise AwsError("InvalidParameterException", message)
    sender = stored.get("From")
    if sender is not None and not covers(source.identity, sender):
        # Not found: AWS's text for a From outside the identity (AWS_FACTS open question 5).
        raise AwsError(
            "InvalidParameterException",
            f"The From address {sender} is not covered by the SES identity {arn}.",
        )
    if sending_account == COGNITO_DEFAULT and not _cognito_may_send(tx, ctx, source, pool_arn, now):
        raise AwsError("InvalidEmailRoleAccessPolicyException", NOT_ALLOWED)
    # DEVELOPER needs no identity policy: Cognito sends through the service-linked role
    # AWSServiceRoleForAmazonCognitoIdpEmailService (AWS_FACTS §8). Nor does the sending
    # account limit the message templates, whatever the model says: see
    # templates.check_template (aws-cdk#7597).
    return stored


def _cognito_may_send(
    tx: Transaction, ctx: RequestContext, source: SourceIdentity, pool_arn: str, now: float
) -> bool:
    # Cognito's own account sends from the identity, so the identity's sending-authorisation
    # policy must let the Cognito email service do so for this account's pool.
    return policies.is_authorized(
        tx,
        owner_account=source.account,
        region=source.region,
        identity=source.identity,
        principal_account=None,
        principal_service=COGNITO_EMAIL_SERVICE,
        action="ses:SendEmail",
        context={"aws:SourceAccount": ctx.account_id, "aws:SourceArn": pool_arn},
        now=now,
    )
