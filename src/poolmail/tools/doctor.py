"""`poolmail doctor`: why a user pool's mail does not arrive, finding by finding.

Follows the troubleshooting path for the Cognito-SES integration: which sending account
is in use, the default sender's cap, the SES identity (exactly the one Cognito checks),
region mapping, sandbox and quota headroom, sending authorisation, the configuration
set, the recipient (verified when sandboxed, not suppressed), and — against poolmail —
the recent rejections with their causes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

from botocore.exceptions import ClientError

from poolmail.cognito.messaging.ses_regions import allowed_ses_regions
from poolmail.tools.aws import AwsClients, error_code, error_message
from poolmail.tools.findings import Finding, Severity
from poolmail.tools.identities import (
    COGNITO_PRINCIPALS,
    IdentityFormError,
    IdentityRef,
    allows_cognito,
    bare_address,
    covers,
    domain_of,
    parse_identity,
)
from poolmail.tools.integrate import wrong_region

DEFAULT_DAILY_LIMIT = 50
HEADROOM_WARNING = 0.8
SIMULATOR_DOMAIN = "simulator.amazonses.com"

# Why SES refused a message, by the engine's kind of refusal, and what fixes it.
CAUSES: dict[str, tuple[str, str | None]] = {
    "not-verified": (
        "(SES checks every From, and in the sandbox every recipient, against verified identities)",
        "verify the address, or request production access to leave the sandbox",
    ),
    "rate": ("(the account's per-second sending rate)", "send more slowly or raise quotas"),
    "daily": ("(the account's 24-hour quota)", "wait for the window to roll, or raise quotas"),
    "configuration-set": ("(the pool names a configuration set SES does not have)", None),
    "paused": ("(sending is paused for the SES account)", None),
    "access-denied": ("(the identity's policy does not authorise the sender)", None),
    "cognito-daily-cap": (
        "(Cognito's default sender reached its daily cap for the account)",
        "configure the pool to send with your own SES: poolmail integrate --user-pool-id "
        "<pool> --identity <verified identity>",
    ),
}


class Doctor:
    def __init__(self, clients: AwsClients, pool_id: str, recipient: str | None) -> None:
        self.clients = clients
        self.pool_id = pool_id
        self.recipient = recipient
        self.endpoint: str | None = None
        self.findings: list[Finding] = []

    def add(
        self,
        check: str,
        severity: Severity,
        message: str,
        evidence: Any = None,
        fix: str | None = None,
    ) -> None:
        self.findings.append(Finding(check, severity, message, evidence, fix))

    def run(self) -> list[Finding]:
        mismatch = wrong_region(self.clients, self.pool_id)
        if mismatch is not None:
            return [mismatch]
        region = self.clients.region
        # poolmail's own API answers on the same port as Cognito; AWS has none.
        self.endpoint = self.clients.configured_endpoint("cognito-idp", region)
        try:
            pool = self.clients.cognito(region).describe_user_pool(UserPoolId=self.pool_id)[
                "UserPool"
            ]
        except ClientError as error:
            self.add(
                "pool",
                "error",
                f"{error_code(error)}: {error_message(error)}",
                fix=f"aws cognito-idp list-user-pools --max-results 60 --region {region}",
            )
            return self.findings
        account = pool["Arn"].split(":")[4]
        config = pool.get("EmailConfiguration") or {}
        sending = config.get("EmailSendingAccount", "COGNITO_DEFAULT")
        self.add("sending-account", "info", f"{pool['Id']} sends with {sending}", config)
        if sending == "DEVELOPER" or config.get("SourceArn"):
            self._check_ses(pool, region, account, config, sending)
        else:
            self._check_default_sender(pool, account)
        self._check_rejections(pool, account)
        return self.findings

    def _check_default_sender(self, pool: dict[str, Any], account: str) -> None:
        message = (
            "Cognito's default sender (no-reply@verificationemail.com) sends at most "
            f"{DEFAULT_DAILY_LIMIT} messages a day per account, then answers "
            "LimitExceededException"
        )
        fix = f"poolmail integrate --user-pool-id {pool['Id']} --identity <verified identity>"
        sent = self._default_sends_today(account)
        if sent is None:
            self.add("default-sender", "info", message, fix=fix)
            return
        evidence = {"sent_last_24_hours": sent, "limit": DEFAULT_DAILY_LIMIT}
        severity: Severity = "info"
        if sent >= DEFAULT_DAILY_LIMIT:
            severity = "error"
        elif sent >= DEFAULT_DAILY_LIMIT * HEADROOM_WARNING:
            severity = "warning"
        self.add("default-sender", severity, f"{message}; {sent} sent today", evidence, fix)

    def _check_ses(
        self,
        pool: dict[str, Any],
        region: str,
        account: str,
        config: dict[str, Any],
        sending: str,
    ) -> None:
        source_arn = config.get("SourceArn")
        if not source_arn:
            self.add(
                "identity",
                "error",
                "DEVELOPER without a SourceArn: no SES identity is set",
                fix=f"poolmail integrate --user-pool-id {pool['Id']} --identity <identity>",
            )
            return
        try:
            ref = parse_identity(source_arn)
        except IdentityFormError as problem:
            self.add("identity", "error", str(problem))
            return
        ses_region = ref.region or region
        allowed = allowed_ses_regions(region)
        if ses_region in allowed:
            self.add("region", "ok", f"SES in {ses_region} is mapped to user pools in {region}")
        else:
            self.add(
                "region",
                "error",
                f"SES in {ses_region} is not mapped to user pools in {region} (allowed: "
                f"{', '.join(allowed)})",
                fix="verify the identity in an allowed region and run poolmail integrate again",
            )
        if ref.account and ref.account != account:
            self.add(
                "account",
                "error",
                f"the identity is in account {ref.account}, the pool in {account}",
                fix=f"verify the identity in account {account} and run poolmail integrate",
            )
        ses = self.clients.ses(ses_region)
        self._check_identity(ses, ref, ses_region, pool)
        sender = config.get("From")
        if sender and not covers(ref.identity, sender):
            self.add("from", "error", f"From {sender} is not covered by {ref.identity}")
        if sending == "COGNITO_DEFAULT":
            self._check_policy(ses, ref.identity)
        self._check_account(ses_region, config)

    def _check_identity(self, ses: Any, ref: IdentityRef, ses_region: str, pool: Any) -> None:
        domain = domain_of(ref.identity) if ref.is_address else None
        names = [ref.identity] + ([domain] if domain else [])
        attributes = ses.get_identity_verification_attributes(Identities=names)[
            "VerificationAttributes"
        ]
        status = attributes.get(ref.identity, {}).get("VerificationStatus", "NotStarted")
        if status == "Success":
            self.add("identity", "ok", f"{ref.identity} is verified in SES {ses_region}")
            return
        if domain and attributes.get(domain, {}).get("VerificationStatus") == "Success":
            fix = (
                f"poolmail integrate --user-pool-id {pool['Id']} --identity {domain} "
                f"--from {ref.identity}"
            )
        elif ref.is_address:
            fix = (
                f"aws ses verify-email-identity --email-address {ref.identity} "
                f"--region {ses_region}"
            )
        else:
            fix = f"aws ses verify-domain-identity --domain {ref.identity} --region {ses_region}"
        self.add(
            "identity",
            "error",
            f"{ref.identity} is {status} in SES {ses_region}; Cognito checks exactly this identity",
            attributes,
            fix,
        )

    def _check_policy(self, ses: Any, identity: str) -> None:
        names = ses.list_identity_policies(Identity=identity)["PolicyNames"]
        policies = (
            ses.get_identity_policies(Identity=identity, PolicyNames=names)["Policies"]
            if names
            else {}
        )
        if allows_cognito(policies):
            self.add("authorization", "ok", "an identity policy lets Cognito send")
            return
        self.add(
            "authorization",
            "error",
            "COGNITO_DEFAULT with a SourceArn needs an identity policy allowing "
            f"{' or '.join(COGNITO_PRINCIPALS)}",
            sorted(policies),
            f"poolmail integrate --user-pool-id {self.pool_id} --identity {identity} "
            "--email-sending-account COGNITO_DEFAULT --add-policy",
        )

    def _check_account(self, ses_region: str, config: dict[str, Any]) -> None:
        sesv2 = self.clients.sesv2(ses_region)
        account = sesv2.get_account()
        quota = account.get("SendQuota", {})
        if not account.get("SendingEnabled", True):
            self.add(
                "sending",
                "error",
                f"SES sending is paused in {ses_region}",
                quota,
                f"aws sesv2 put-account-sending-attributes --sending-enabled --region {ses_region}",
            )
        sandboxed = not account.get("ProductionAccessEnabled")
        if sandboxed:
            self.add(
                "sandbox",
                "warning",
                f"SES in {ses_region} is in the sandbox: only verified recipients, "
                f"{quota.get('Max24HourSend', 200):g} a day, {quota.get('MaxSendRate', 1):g}/s",
                quota,
                "aws sesv2 put-account-details --production-access-enabled --mail-type "
                f"TRANSACTIONAL --website-url https://example.com --region {ses_region}",
            )
        else:
            self.add("sandbox", "ok", f"SES in {ses_region} has production access", quota)
        sent, limit = quota.get("SentLast24Hours", 0), quota.get("Max24HourSend", 0)
        if limit > 0 and sent >= limit:
            self.add("quota", "error", f"the daily SES quota is used up ({sent:g}/{limit:g})")
        elif limit > 0 and sent >= limit * HEADROOM_WARNING:
            self.add("quota", "warning", f"the daily SES quota is nearly used ({sent:g}/{limit:g})")
        name = config.get("ConfigurationSet")
        if name:
            try:
                sesv2.get_configuration_set(ConfigurationSetName=name)
                self.add("configuration-set", "ok", f"configuration set {name} exists")
            except ClientError as error:
                self.add(
                    "configuration-set",
                    "error",
                    f"{name}: {error_message(error)}",
                    fix=f"aws sesv2 create-configuration-set --configuration-set-name {name} "
                    f"--region {ses_region}",
                )
        if self.recipient:
            self._check_recipient(ses_region, sandboxed)

    def _check_recipient(self, ses_region: str, sandboxed: bool) -> None:
        assert self.recipient is not None
        address = bare_address(self.recipient)
        if sandboxed:
            names = [address, domain_of(address)]
            attributes = self.clients.ses(ses_region).get_identity_verification_attributes(
                Identities=names
            )["VerificationAttributes"]
            verified = any(
                attributes.get(name, {}).get("VerificationStatus") == "Success" for name in names
            )
            if verified or domain_of(address) == SIMULATOR_DOMAIN:
                self.add("recipient", "ok", f"{address} may receive in the sandbox")
            else:
                self.add(
                    "recipient",
                    "error",
                    f"{address} is not verified and SES is sandboxed: SES refuses it",
                    attributes,
                    f"aws ses verify-email-identity --email-address {address} --region "
                    f"{ses_region} (or request production access)",
                )
        try:
            self.clients.sesv2(ses_region).get_suppressed_destination(EmailAddress=address)
        except ClientError as error:
            if error_code(error) == "NotFoundException":
                self.add("suppression", "ok", f"{address} is not on the suppression list")
            else:
                self.add(
                    "suppression",
                    "info",
                    f"could not read the suppression list: {error_message(error)}",
                )
            return
        self.add(
            "suppression",
            "error",
            f"{address} is on the account's suppression list",
            fix=f"aws sesv2 delete-suppressed-destination --email-address {address} "
            f"--region {ses_region}",
        )

    def _poolmail(self, path: str, params: dict[str, Any]) -> Any:
        """poolmail's own API when the endpoint is poolmail; None elsewhere (real AWS)."""
        if not self.endpoint:
            return None
        url = f"{self.endpoint.rstrip('/')}{path}?{urlencode(params)}"
        try:
            with urlopen(url, timeout=5) as answer:
                return json.loads(answer.read())
        except (OSError, ValueError):
            return None

    def _default_sends_today(self, account: str) -> int | None:
        clock = self._poolmail("/_poolmail/clock", {})
        if clock is None:
            return None
        found = self._poolmail(
            "/_poolmail/messages",
            {"account": account, "limit": 1000, "since": clock["epoch"] - 86400},
        )
        if found is None:
            return None
        return sum(
            1
            for message in found["messages"]
            if message["origin"] == "cognito"
            and message["details"].get("email_sending_account") == "COGNITO_DEFAULT"
            and message["status"] != "rejected"
        )

    def _check_rejections(self, pool: dict[str, Any], account: str) -> None:
        found = self._poolmail(
            "/_poolmail/messages", {"account": account, "status": "rejected", "limit": 200}
        )
        if found is None:
            return
        mine = [m for m in found["messages"] if m["details"].get("pool_id") == pool["Id"]]
        if not mine:
            self.add("rejections", "ok", "no rejected messages for this pool")
            return
        latest = mine[0]
        error = latest["details"].get("error") or {}
        cause, fix = CAUSES.get(error.get("kind", ""), ("", None))
        self.add(
            "rejections",
            "error",
            f"{len(mine)} recent message(s) of this pool were refused; the latest, to "
            f"{', '.join(latest['recipients'])}: {error.get('message')} {cause}".strip(),
            [{"id": m["id"], "error": m["details"].get("error")} for m in mine[:5]],
            fix,
        )


def run(clients: AwsClients, pool_id: str, recipient: str | None) -> list[Finding]:
    return Doctor(clients, pool_id, recipient).run()
