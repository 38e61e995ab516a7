"""An identity's verification state and how it starts; the link mailed to an address.

A row keeps its state in the JSON ``data`` column; the keys ``coverage.effective_status``
reads (``VerificationStatus`` in v1 spelling, ``VerificationStartedAt``,
``DkimVerificationStatus``) are the contract with the rest of SES. Domains: ``dns``.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
import secrets
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any, Literal

from botocore.loaders import create_loader

from poolmail.mail.mailbox import Event, StoredMessage, new_message_id, store
from poolmail.protocol.errors import AwsError
from poolmail.ses.identities.coverage import (
    DOMAIN_VERIFICATION_WINDOW,
    EMAIL_VERIFICATION_WINDOW,
    IdentityRow,
    effective_status,
    forget_rows,
    identity_rows,
)
from poolmail.store import Database, Transaction

EMAIL_ADDRESS = "EmailAddress"
DOMAIN = "Domain"

VERIFICATION_SENDER = "no-reply-aws@amazon.com"
LINK_PATH = "/_poolmail/ses/verify/"


def identity_lock(account: str, region: str, identity: str) -> str:
    """The named lock under which an identity row is read, changed and written back.

    Anyone rewriting a row's ``data`` (policies, notification settings, ...) should take it
    too, so that concurrent writers, in this process or another replica, lose no keys.
    """
    return f"ses-identity:{account}:{region}:{identity}"


def normalize_identity(name: str) -> tuple[str, str]:
    """(stored name, kind): email addresses keep their case, domains are lower-cased."""
    if "@" in name:
        return name, EMAIL_ADDRESS
    return name.lower(), DOMAIN


_LABEL = re.compile(r"[^\W_](?:[\w-]{0,61}[^\W_])?")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    return len(domain) <= 253 and len(labels) >= 2 and all(map(_LABEL.fullmatch, labels))


def valid_email(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local) and not _SPACE_OR_CONTROL.search(address) and valid_domain(domain)


def check_name(name: str, kind: str, code: str) -> None:
    # AWS quirk: v1 answers `Invalid email address<addr>.`, with no space (real SES text
    # in Optum/dce#143). The domain wording is poolmail's choice: AWS's was not found.
    if kind == EMAIL_ADDRESS and not valid_email(name):
        space = " " if code == "BadRequestException" else ""
        raise AwsError(code, f"Invalid email address{space}{name}.", status=400)
    if kind == DOMAIN and not valid_domain(name):
        raise AwsError(code, f"Invalid domain name {name}.", status=400)


# --- tokens ---------------------------------------------------------------------------------


def new_domain_token() -> str:
    # Like `EXAMPLE3VYb9EDI2nTOQRi/Tf6MI/6bD6THIGiP1MVY=`: 32 random bytes, base64, 44 chars.
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_dkim_tokens() -> list[str]:
    # Like `EXAMPLEq76owjnks3lnluwg65scbemvw`: 20 random bytes, base32, 32 chars, lower-case.
    return [base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower() for _ in range(3)]


# --- rows -----------------------------------------------------------------------------------


def load(tx: Transaction, account: str, region: str, identity: str) -> IdentityRow | None:
    return identity_rows(tx, account, region, [identity]).get(identity)


def insert_row(
    tx: Transaction,
    account: str,
    region: str,
    identity: str,
    kind: str,
    data: dict[str, Any],
    now: float,
) -> bool:
    """Add an identity; False when it already exists."""
    forget_rows()
    changed = tx.execute(
        "INSERT INTO ses_identities (account, region, identity, kind, created_at, data) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (account, region, identity, kind, now, json.dumps(data)),
    )
    return changed > 0


def update_data(
    tx: Transaction, account: str, region: str, identity: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Merge ``changes`` into the row's current data (a None value removes the key); every
    other key, such as another module's ``Policies``, stays as it is. None if the row is gone."""
    current = load(tx, account, region, identity)
    if current is None:
        return None
    data = current.data
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    forget_rows()
    tx.execute(
        "UPDATE ses_identities SET data = ? WHERE account = ? AND region = ? AND identity = ?",
        (json.dumps(data), account, region, identity),
    )
    return data


def dkim_status(data: dict[str, Any], now: float) -> str:
    """The v1 DKIM verification status as of ``now``: pending DKIM fails after 72 hours."""
    status = str(data.get("DkimVerificationStatus", "NotStarted"))
    started = float(data.get("DkimStartedAt", now))
    if status == "Pending" and now - started > DOMAIN_VERIFICATION_WINDOW:
        return "Failed"
    return status


def is_pending(kind: str, data: dict[str, Any], now: float) -> bool:
    """Whether a domain still waits for its records (identity or DKIM) to be found."""
    if kind != DOMAIN:
        return False
    return effective_status(kind, data, now) == "Pending" or dkim_status(data, now) == "Pending"


# --- states a verification starts from ------------------------------------------------------


def pending_state(now: float) -> dict[str, Any]:
    return {"VerificationStatus": "Pending", "VerificationStartedAt": now}


def easy_dkim_state(
    now: float, key_length: str = "RSA_2048_BIT", origin: str = "AWS_SES"
) -> dict[str, Any]:
    return {
        "DkimEnabled": True,
        "DkimOrigin": origin,
        "DkimTokens": new_dkim_tokens(),
        "DkimVerificationStatus": "Pending",
        "DkimStartedAt": now,
        "DkimKeyLength": key_length,
        "DkimKeyGeneratedAt": now,
    }


def restart_if_failed(data: dict[str, Any], kind: str, now: float) -> dict[str, Any]:
    """Verifying again restarts a failed verification; a verified identity stays verified."""
    return pending_state(now) if effective_status(kind, data, now) == "Failed" else {}


def start_dkim(data: dict[str, Any], now: float) -> dict[str, Any]:
    if data.get("DkimTokens") and data.get("DkimOrigin", "AWS_SES") != "EXTERNAL":
        if dkim_status(data, now) == "Failed":
            return {"DkimVerificationStatus": "Pending", "DkimStartedAt": now}
        return {}
    return easy_dkim_state(now)


def dkim_signing_state(attributes: dict[str, Any], now: float) -> dict[str, Any]:
    """A new domain's DKIM set-up: Easy DKIM unless a selector and private key are given."""
    key_length = attributes.get("NextSigningKeyLength", "RSA_2048_BIT")
    selector = attributes.get("DomainSigningSelector")
    if selector and attributes.get("DomainSigningPrivateKey"):
        # Bring your own DKIM: the key itself is not kept, only what verification needs.
        return {
            "DkimEnabled": True,
            "DkimOrigin": "EXTERNAL",
            "DkimSelector": selector,
            "DkimVerificationStatus": "Pending",
            "DkimStartedAt": now,
            "DkimKeyLength": key_length,
        }
    origin = attributes.get("DomainSigningAttributesOrigin") or "AWS_SES"
    if origin == "EXTERNAL":
        raise AwsError(
            "BadRequestException",
            "DomainSigningSelector and DomainSigningPrivateKey are required with the "
            "EXTERNAL signing attributes origin.",
        )
    return easy_dkim_state(now, key_length, origin)


# --- email addresses: the verification message and its link -----------------------------


@functools.lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    # botocore ships AWS's own long region names ("US East (N. Virginia)") with its
    # endpoint data; that table stays current with the SDK instead of a copy here.
    endpoints = create_loader().load_data("endpoints")
    return {
        code: str(region.get("description", code))
        for partition in endpoints["partitions"]
        for code, region in partition["regions"].items()
    }


def region_name(region: str) -> str:
    return _region_names().get(region, region)


def verification_subject(region: str) -> str:
    # AWS quirk: an en dash, and the region's long name (docs.aws.amazon.com/ses/latest/dg/
    # creating-identities.html#verify-email-addresses-procedure).
    return (
        "Amazon Web Services \N{EN DASH} Email Address Verification Request in region "
        + region_name(region)
    )


def _verification_text(address: str, region: str, link: str) -> str:
    return (
        "Dear Amazon Web Services Customer,\n\n"
        f"We have received a request to authorize this email address ({address}) for use "
        f"with Amazon SES in region {region_name(region)}. If you requested this "
        "verification, go to the following URL to confirm that you are authorized to use "
        "this email address:\n\n"
        f"{link}\n\n"
        "Your request will not be processed unless you confirm the address using this URL. "
        "This link expires 24 hours after your original verification request.\n\n"
        "If you did NOT request to verify this email address, do not click on the link.\n\n"
        "Sincerely,\n\nThe Amazon Web Services Team\n\n"
        "(Sent by poolmail, a local stand-in for Amazon SES.)\n"
    )


def new_link(
    tx: Transaction,
    *,
    account: str,
    region: str,
    address: str,
    base_url: str,
    now: float,
    token: str | None = None,
) -> tuple[str, str]:
    """A fresh verification link for ``address``, valid 24 hours from ``now``: its token
    and URL. SES's own mail and custom verification mails (which choose ``token`` before
    their mail is accepted) carry one."""
    token = token or secrets.token_urlsafe(32)
    tx.execute(
        "INSERT INTO ses_verification_links (token, account, region, identity, sent_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (token, account, region, address, now),
    )
    return token, f"{base_url}{LINK_PATH}{token}"


def send_verification_mail(
    tx: Transaction, *, account: str, region: str, address: str, base_url: str, now: float
) -> str:
    """Mail ``address`` a fresh verification link; return the link.

    This is AWS's own mail to the address, so neither the sandbox nor the sending quotas
    of the account apply to it.
    """
    _, link = new_link(
        tx, account=account, region=region, address=address, base_url=base_url, now=now
    )
    subject = verification_subject(region)
    message = EmailMessage(policy=SMTP)
    message["From"] = VERIFICATION_SENDER
    message["To"] = address
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime.fromtimestamp(now, dt.UTC))
    message["Message-ID"] = make_msgid(domain=f"email.{region}.amazonses.com")
    message.set_content(_verification_text(address, region, link))
    store(
        tx,
        StoredMessage(
            id=new_message_id(now),
            account=account,
            region=region,
            created_at=now,
            status="delivered",
            origin="ses",
            source=VERIFICATION_SENDER,
            recipients=[address],
            subject=subject,
            raw=message.as_bytes(),
            details={"kind": "ses-verification", "identity": address, "link": link},
            events=[Event("Send", now), Event("Delivery", now)],
        ),
    )
    return link


def add_pending_address(
    tx: Transaction, account: str, region: str, address: str, now: float
) -> None:
    """Add the address if new; a pending or failed one starts a new 24-hour window, a
    verified one stays verified."""
    row = load(tx, account, region, address)
    if row is None:
        insert_row(tx, account, region, address, EMAIL_ADDRESS, pending_state(now), now)
    elif row.data.get("VerificationStatus") != "Success":
        update_data(tx, account, region, address, pending_state(now))


def start_email_verification(
    tx: Transaction,
    account: str,
    region: str,
    address: str,
    base_url: str,
    now: float,
    *,
    auto: bool = False,
) -> None:
    """Add the address if new and mail it a link. Every call mails a new link; a pending or
    failed address starts a new 24-hour window, a verified one stays verified."""
    add_pending_address(tx, account, region, address, now)
    if auto:
        # `--ses-identity-verification auto`: verified at once, and no mail to click.
        verify_now(tx, account, region, address, now)
        return
    send_verification_mail(
        tx, account=account, region=region, address=address, base_url=base_url, now=now
    )


LinkOutcome = Literal["verified", "expired", "unknown"]


def open_link(db: Database, token: str, now: float) -> tuple[LinkOutcome, str | None]:
    """Follow a verification link: within 24 hours of its mail the address is verified;
    later the verification has failed and must be started again."""
    with db.transaction() as tx:
        link = tx.fetchone(
            "SELECT account, region, identity, sent_at FROM ses_verification_links WHERE token = ?",
            (token,),
        )
    if link is None:
        return "unknown", None
    account, region, identity, sent_at = link[0], link[1], link[2], float(link[3])
    with db.transaction(lock=identity_lock(account, region, identity)) as tx:
        row = load(tx, account, region, identity)
        if row is None:
            return "unknown", identity
        if now - sent_at > EMAIL_VERIFICATION_WINDOW:
            # Only the verification this link belongs to fails: a later link may already
            # have verified the address, or started a new window that is still open.
            started = float(row.data.get("VerificationStartedAt", sent_at))
            if row.data.get("VerificationStatus") != "Success" and started <= sent_at:
                update_data(tx, account, region, identity, {"VerificationStatus": "Failed"})
            return "expired", identity
        update_data(
            tx, account, region, identity, {"VerificationStatus": "Success", "VerifiedAt": now}
        )
    return "verified", identity


def list_links(db: Database, identity: str | None) -> list[dict[str, Any]]:
    sql = "SELECT identity, token, sent_at, account, region FROM ses_verification_links"
    args: tuple[Any, ...] = ()
    if identity is not None:
        sql += " WHERE identity = ?"
        args = (identity,)
    with db.transaction() as tx:
        rows = tx.fetchall(sql + " ORDER BY sent_at DESC, token", args)
    return [
        {"identity": name, "token": token, "sent_at": float(sent), "account": acc, "region": reg}
        for name, token, sent, acc, reg in rows
    ]


def mark_verified(db: Database, account: str, region: str, identity: str, now: float) -> bool:
    """Verify an identity at once (poolmail's shortcut for tests); False if unknown."""
    name, _ = normalize_identity(identity)
    with db.transaction(lock=identity_lock(account, region, name)) as tx:
        return verify_now(tx, account, region, name, now)


def verify_now(tx: Transaction, account: str, region: str, name: str, now: float) -> bool:
    """Mark the identity ``name`` (normalised) verified, DKIM too where it was started, in
    ``tx``; False if unknown. `--ses-identity-verification auto` verifies new identities
    this way, and the admin shortcut does."""
    row = load(tx, account, region, name)
    if row is None:
        return False
    changes: dict[str, Any] = {"VerificationStatus": "Success", "VerifiedAt": now}
    if dkim_status(row.data, now) in ("Pending", "Failed"):
        changes["DkimVerificationStatus"] = "Success"
    update_data(tx, account, region, name, changes)
    return True
