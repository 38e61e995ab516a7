"""SmsConfiguration: the checks CreateUserPool and UpdateUserPool (and SetUserPoolMfaConfig)
run on it, and what a pool that must text someone needs at that moment.

Cognito sends SMS by assuming the IAM role `SnsCallerArn` (with `ExternalId`) and calling
SNS `Publish` in `SnsRegion`, or through End User Messaging SMS (`EumsSms`)
(user-pool-sms-settings.html). poolmail has no IAM: a role's trust policy and permissions
are not evaluated, so a well-formed role of the pool's own account always works; what is
checked is what can be checked without IAM.
"""

from __future__ import annotations

import re
from typing import Any

from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

# AWS's texts, seen in real answers: another account's role (aws-quickstart/
# saas-identity-cognito#35, CreateUserPool; the email twin is "Email arn does not belong
# to your account."), a role Cognito cannot assume (aws-amplify/amplify-flutter#1328),
# and an SMS to send without any configuration (AdminCreateUser with SMS delivery,
# quoted verbatim by user-import scripts that catch it; AWS forums thread 248382).
NOT_YOUR_ROLE = "Role arn does not belong to your account."
NO_TRUST = "Role does not have a trust relationship allowing Cognito to assume the role"
NO_CONFIGURATION = "User pool does not have SMS configuration to send messages."
# What AWS answered while the model required SnsCallerArn (botocore 1.43's model): its
# server-side validation text for a missing member.
NO_CALLER = (
    "1 validation error detected: Value null at 'smsConfiguration.snsCallerArn' failed to "
    "satisfy constraint: Member must not be null"
)
# Not found: AWS's text when both paths are given ("provide either the Amazon SNS
# configuration (SnsCallerArn) or this configuration, but not both" [model EumsSms]).
BOTH_PATHS = "Provide either SnsCallerArn or EumsSms in SmsConfiguration, but not both."

_ROLE_ARN = re.compile(r"arn:aws(?:-cn|-us-gov)?:iam::(?P<account>\d{12}):role/[\w+=,.@/-]+")
_ANY_ARN = re.compile(r"arn:[^:]*:[^:]*:[^:]*:(?P<account>[^:]*):.*")

# "SMS messages in the following Amazon Cognito Regions are rerouted through the
# corresponding supported Amazon SNS Regions" (user-pool-sms-settings.md, the legacy
# alternate Regions). Any other pool uses SNS in its own region. "Amazon Cognito resources
# in the Asia Pacific (Seoul) Region must use your Amazon SNS configuration in the Asia
# Pacific (Tokyo) Region" [model SnsRegion]: Seoul has only the alternate.
_SNS_REGIONS: dict[str, tuple[str, ...]] = {
    "us-east-2": ("us-east-2", "us-east-1"),
    "ap-south-1": ("ap-south-1", "ap-southeast-1"),
    "ap-northeast-2": ("ap-northeast-1",),
    "ca-central-1": ("ca-central-1", "us-east-1"),
    "eu-central-1": ("eu-central-1", "eu-west-1"),
    "eu-west-2": ("eu-west-2", "eu-west-1"),
}


def sns_regions(pool_region: str) -> tuple[str, ...]:
    """The SNS regions a pool in ``pool_region`` may name as SnsRegion."""
    return _SNS_REGIONS.get(pool_region, (pool_region,))


def check(ctx: RequestContext, config: dict[str, Any] | None) -> None:
    """Raise AWS's error for a SmsConfiguration a request gives, if it is wrong.

    The model's patterns have run already (protocol layer); these are the rules beyond
    them. ExternalId is any string: only the role's trust policy could refuse it.
    """
    if config is None:
        return
    eums = config.get("EumsSms")
    caller = config.get("SnsCallerArn") or None
    if caller is not None and eums is not None:
        raise AwsError("InvalidParameterException", BOTH_PATHS)
    if eums is not None:
        _check_role(ctx, str(eums["CallerArn"]))
        region = eums.get("Region")
        # "If you omit this parameter, Amazon Cognito uses the same Region as your user
        # pool. ... Amazon Cognito rejects any other value with an
        # InvalidParameterException." [model EumsSmsConfigurationType.Region]; the text is
        # not found.
        if region is not None and region != ctx.region:
            raise AwsError(
                "InvalidParameterException",
                f"EumsSms Region {region} must be the user pool's Region {ctx.region}.",
            )
        return
    if caller is None:
        raise AwsError("InvalidParameterException", NO_CALLER)
    _check_role(ctx, caller)
    region = config.get("SnsRegion")
    allowed = sns_regions(ctx.region)
    if region is not None and region not in allowed:
        # Not found: AWS's text for an SnsRegion the pool may not use; a parameter error
        # that names the choices, like the SES-region refusal of EmailConfiguration.
        raise AwsError(
            "InvalidParameterException",
            f"SnsRegion {region} is not supported for user pools in {ctx.region}; use one "
            f"of: {', '.join(allowed)}.",
        )


def _check_role(ctx: RequestContext, arn: str) -> None:
    # Another account's ARN is refused before Cognito tries to assume it; an ARN of this
    # account that names no IAM role (an SNS topic, a user) cannot be assumed, which AWS
    # reports as a trust-relationship failure.
    found = _ANY_ARN.fullmatch(arn)
    if found is None or found["account"] != ctx.account_id:
        raise AwsError("NotAuthorizedException", NOT_YOUR_ROLE)
    if _ROLE_ARN.fullmatch(arn) is None:
        raise AwsError("InvalidSmsRoleTrustRelationshipException", NO_TRUST)


def sender(settings: dict[str, Any], pool_region: str) -> tuple[str, str]:
    """(SNS region, caller role ARN) a pool texts through; when it has no SmsConfiguration,
    the InvalidParameterException AWS answers a request that must send an SMS.

    Choice: the check runs after the request's own writes (a user created by SignUp or
    AdminCreateUser stays, a code issued stays unused), as AWS leaves the user in place
    when a message cannot go out (SignUp's LimitExceeded [model]; user-import scripts
    ignore this error because the user exists).
    """
    config: dict[str, Any] = settings.get("SmsConfiguration") or {}
    eums = config.get("EumsSms")
    if eums is not None:
        return str(eums.get("Region") or pool_region), str(eums["CallerArn"])
    caller = config.get("SnsCallerArn")
    if not caller:
        raise AwsError("InvalidParameterException", NO_CONFIGURATION)
    return str(config.get("SnsRegion") or sns_regions(pool_region)[-1]), str(caller)
