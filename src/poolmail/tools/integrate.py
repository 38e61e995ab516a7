"""`poolmail integrate`: apply the SES integration to a user pool without resetting it.

Walks the steps of the knowledge-centre article — region mapping, same account, an
exactly verified identity, the sandbox, sending authorisation — and refuses at the first
that fails, with the reason and the fix. Then DescribeUserPool, merge the new
EmailConfiguration into every other current setting, UpdateUserPool, and read the pool
back to prove nothing else changed (UpdateUserPool resets what a request leaves out).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from poolmail.cognito.messaging.ses_regions import allowed_ses_regions
from poolmail.cognito.pools.update_requests import update_request
from poolmail.tools.aws import AwsClients, error_code, error_message
from poolmail.tools.findings import Finding
from poolmail.tools.identities import (
    IdentityFormError,
    IdentityRef,
    allows_cognito,
    cognito_policy,
    covers,
    domain_of,
    parse_identity,
)


@dataclass
class IntegrateOptions:
    user_pool_id: str
    identity: str
    sender: str | None = None
    reply_to: str | None = None
    configuration_set: str | None = None
    email_sending_account: str = "DEVELOPER"
    dry_run: bool = False
    add_policy: bool = False
    request_production_access: bool = False
    website_url: str | None = None
    mail_type: str = "TRANSACTIONAL"
    use_case: str | None = None


@dataclass
class IntegrateResult:
    steps: list[Finding] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    applied: bool = False
    refused: bool = False

    def refuse(self, check: str, message: str, fix: str | None, evidence: Any = None) -> None:
        self.steps.append(Finding(check, "error", message, evidence, fix))
        self.refused = True

    def ok(self, check: str, message: str, evidence: Any = None) -> None:
        self.steps.append(Finding(check, "ok", message, evidence))

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": [step.as_dict() for step in self.steps],
            "changes": self.changes,
            "applied": self.applied,
            "refused": self.refused,
        }


def pool_region(pool_id: str) -> str:
    return pool_id.split("_", 1)[0]


_REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


def wrong_region(clients: AwsClients, pool_id: str) -> Finding | None:
    """A pool ID names its region, and Cognito finds the pool only there: in another
    region the AWS CLI gets ResourceNotFoundException. Say so, and where the region in
    use came from, before asking."""
    named = pool_region(pool_id)
    if named == clients.region or not _REGION_NAME.fullmatch(named):
        return None
    return Finding(
        "pool",
        "error",
        f"user pool {pool_id} is in {named}, but the region in use is {clients.region} "
        f"(from {clients.region_source})",
        fix=f"add --region {named}",
    )


def run(clients: AwsClients, options: IntegrateOptions) -> IntegrateResult:
    result = IntegrateResult()
    mismatch = wrong_region(clients, options.user_pool_id)
    if mismatch is not None:
        result.steps.append(mismatch)
        result.refused = True
        return result
    region = clients.region
    cognito = clients.cognito(region)
    try:
        pool = cognito.describe_user_pool(UserPoolId=options.user_pool_id)["UserPool"]
    except ClientError as error:
        result.refuse(
            "pool",
            f"{error_code(error)}: {error_message(error)}",
            f"check the pool id and region: aws cognito-idp list-user-pools --max-results 60 "
            f"--region {region}",
        )
        return result
    account = pool["Arn"].split(":")[4]
    result.ok("pool", f"user pool {pool['Id']} ({pool['Name']}) in {region}, account {account}")
    checked = _check_identity(clients, options, result, pool, region, account)
    if checked is None:
        return result
    ref, ses_region, sender = checked
    identity_arn = ref.arn(ses_region, account)
    _check_sandbox(clients, options, result, ses_region)
    if options.email_sending_account == "COGNITO_DEFAULT":
        _check_policy(clients, options, result, ref, ses_region, identity_arn, account, pool)
    if options.configuration_set:
        _check_configuration_set(clients, options.configuration_set, result, ses_region)
    if result.refused:
        return result
    desired: dict[str, Any] = {
        "EmailSendingAccount": options.email_sending_account,
        "SourceArn": identity_arn,
        "From": sender,
    }
    if options.reply_to:
        desired["ReplyToEmailAddress"] = options.reply_to
    if options.configuration_set:
        desired["ConfigurationSet"] = options.configuration_set
    _apply(cognito, options, result, pool, desired)
    return result


def _check_identity(
    clients: AwsClients,
    options: IntegrateOptions,
    result: IntegrateResult,
    pool: dict[str, Any],
    region: str,
    account: str,
) -> tuple[IdentityRef, str, str] | None:
    try:
        ref = parse_identity(options.identity)
    except IdentityFormError as problem:
        result.refuse("identity", str(problem), "pass an address, a domain or an identity ARN")
        return None
    ses_region = ref.region or region
    allowed = allowed_ses_regions(region)
    if ses_region not in allowed:
        result.refuse(
            "region",
            f"a user pool in {region} may use SES only in {', '.join(allowed)}; the identity "
            f"is in {ses_region}",
            f"verify the identity in {allowed[0]} and pass "
            f"--identity arn:aws:ses:{allowed[0]}:{account}:identity/{ref.identity}",
        )
        return None
    result.ok("region", f"SES in {ses_region} is mapped to user pools in {region}")
    if ref.account is not None and ref.account != account:
        result.refuse(
            "account",
            f"the identity belongs to account {ref.account}, the pool to {account}; Cognito "
            "can't use an SES identity of another account",
            f"verify {ref.identity} in SES of account {account} and use that identity",
        )
        return None
    result.ok("account", f"the identity is in the pool's account {account}")
    sender = options.sender or (ref.identity if ref.is_address else None)
    if sender is None:
        result.refuse(
            "from",
            f"{ref.identity} is a domain: Cognito needs a From address in it",
            f"add --from no-reply@{ref.identity}",
        )
        return None
    if not covers(ref.identity, sender):
        result.refuse(
            "from",
            f"From {sender} is not covered by the identity {ref.identity}",
            f"use a From address {'equal to' if ref.is_address else 'in'} {ref.identity}, "
            "or name the identity that covers it",
        )
        return None
    ses = clients.ses(ses_region)
    names = [ref.identity] + ([domain_of(ref.identity)] if ref.is_address else [])
    attributes = ses.get_identity_verification_attributes(Identities=names)[
        "VerificationAttributes"
    ]
    status = attributes.get(ref.identity, {}).get("VerificationStatus", "NotStarted")
    if status != "Success":
        domain = domain_of(ref.identity) if ref.is_address else None
        if domain and attributes.get(domain, {}).get("VerificationStatus") == "Success":
            result.refuse(
                "verification",
                f"{ref.identity} is not verified itself; only its domain {domain} is. Cognito "
                "checks exactly the identity named in SourceArn",
                f"poolmail integrate --user-pool-id {options.user_pool_id} --identity "
                f"{ref.arn(ses_region, account).replace(ref.identity, domain)} --from "
                f"{shlex.quote(sender)}",
                evidence=attributes,
            )
        else:
            verb = (
                "verify-email-identity --email-address"
                if ref.is_address
                else ("verify-domain-identity --domain")
            )
            result.refuse(
                "verification",
                f"{ref.identity} is {status} in SES {ses_region}, not verified",
                f"aws ses {verb} {ref.identity} --region {ses_region}"
                + ("" if ref.is_address else " (then publish its TXT or DKIM records)"),
                evidence=attributes,
            )
        return None
    result.ok("verification", f"{ref.identity} is verified in SES {ses_region}")
    result.ok("from", f"From {sender} is covered by {ref.identity}")
    return ref, ses_region, sender


def _check_sandbox(
    clients: AwsClients, options: IntegrateOptions, result: IntegrateResult, ses_region: str
) -> None:
    sesv2 = clients.sesv2(ses_region)
    account = sesv2.get_account()
    quota = account.get("SendQuota", {})
    if account.get("ProductionAccessEnabled"):
        result.ok("sandbox", f"SES in {ses_region} has production access", evidence=quota)
        return
    review = account.get("Details", {}).get("ReviewDetails", {})
    message = (
        f"SES in {ses_region} is in the sandbox: mail goes only to verified addresses, "
        f"{quota.get('Max24HourSend', 200):g} a day, {quota.get('MaxSendRate', 1):g} a second"
    )
    if review.get("Status") == "PENDING":
        message += f"; production access is under review (case {review.get('CaseId')})"
    fix = (
        f"aws sesv2 put-account-details --production-access-enabled --mail-type "
        f"{options.mail_type} --website-url https://example.com --region {ses_region}"
    )
    if options.request_production_access and review.get("Status") != "PENDING":
        details: dict[str, Any] = {
            "ProductionAccessEnabled": True,
            "MailType": options.mail_type,
            "WebsiteURL": options.website_url or "https://example.com",
        }
        if options.use_case:
            details["UseCaseDescription"] = options.use_case
        try:
            sesv2.put_account_details(**details)
            review = sesv2.get_account().get("Details", {}).get("ReviewDetails", {})
            message += f"; production access requested ({review.get('Status')})"
        except ClientError as error:
            message += f"; requesting production access failed: {error_message(error)}"
    result.steps.append(Finding("sandbox", "warning", message, evidence=quota, fix=fix))


def _check_policy(
    clients: AwsClients,
    options: IntegrateOptions,
    result: IntegrateResult,
    ref: IdentityRef,
    ses_region: str,
    identity_arn: str,
    account: str,
    pool: dict[str, Any],
) -> None:
    ses = clients.ses(ses_region)
    names = ses.list_identity_policies(Identity=ref.identity)["PolicyNames"]
    policies = (
        ses.get_identity_policies(Identity=ref.identity, PolicyNames=names)["Policies"]
        if names
        else {}
    )
    if allows_cognito(policies):
        result.ok("authorization", "an identity policy lets Cognito send from this identity")
        return
    document = cognito_policy(identity_arn, account, pool["Arn"])
    command = (
        f"aws ses put-identity-policy --identity {ref.identity} --policy-name "
        f"CognitoSendEmail --policy {shlex.quote(document)} --region {ses_region}"
    )
    if options.add_policy and not options.dry_run:
        ses.put_identity_policy(
            Identity=ref.identity, PolicyName="CognitoSendEmail", Policy=document
        )
        result.ok("authorization", "added identity policy CognitoSendEmail for Cognito")
        return
    result.refuse(
        "authorization",
        "with COGNITO_DEFAULT and a SourceArn, Cognito needs an identity policy allowing "
        "email.cognito-idp.amazonaws.com to send (none found)",
        f"rerun with --add-policy, or: {command}",
        evidence=sorted(policies),
    )


def _check_configuration_set(
    clients: AwsClients, name: str, result: IntegrateResult, ses_region: str
) -> None:
    try:
        clients.sesv2(ses_region).get_configuration_set(ConfigurationSetName=name)
    except ClientError as error:
        result.refuse(
            "configuration-set",
            f"configuration set {name} in {ses_region}: {error_message(error)}",
            f"aws sesv2 create-configuration-set --configuration-set-name {name} "
            f"--region {ses_region}",
        )
        return
    result.ok("configuration-set", f"configuration set {name} exists in {ses_region}")


def _apply(
    cognito: Any,
    options: IntegrateOptions,
    result: IntegrateResult,
    pool: dict[str, Any],
    desired: dict[str, Any],
) -> None:
    current = pool.get("EmailConfiguration", {})
    for key in sorted(set(current) | set(desired)):
        if current.get(key) != desired.get(key):
            result.changes.append(
                {
                    "field": f"EmailConfiguration.{key}",
                    "before": current.get(key),
                    "after": desired.get(key),
                }
            )
    if not result.changes:
        result.ok("apply", "the pool already has this email configuration; nothing to change")
        return
    if options.dry_run:
        result.steps.append(
            Finding("apply", "info", "dry run: UpdateUserPool not called; the changes follow")
        )
        return
    cognito.update_user_pool(**update_request(pool, desired))
    after = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    drift = sorted(
        key
        for key in set(pool) | set(after)
        if key not in ("LastModifiedDate", "EmailConfiguration") and pool.get(key) != after.get(key)
    )
    applied = after.get("EmailConfiguration", {})
    if drift or any(applied.get(key) != value for key, value in desired.items()):
        result.refuse(
            "verify",
            "the pool read back differs from what was sent: "
            + ", ".join(drift or ["EmailConfiguration"]),
            "compare describe-user-pool with the settings above",
            evidence={key: {"before": pool.get(key), "after": after.get(key)} for key in drift},
        )
        return
    result.applied = True
    result.ok("apply", "UpdateUserPool applied; every other setting read back unchanged")
