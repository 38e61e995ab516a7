"""SES v2 contacts of a contact list: Create/Get/Update/Delete/ListContacts, and the
subscription status of a contact for a topic that sends and unsubscribe links read."""

from __future__ import annotations

import json
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.ses.contacts import lists
from poolmail.ses.identities.coverage import bare_address
from poolmail.ses.sending import outbound
from poolmail.store import Transaction


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def missing_contact(email: str) -> AwsError:
    # AWS's text as third-party emulators that probed SES quote it (facts §6).
    return AwsError("NotFoundException", f"{email} doesn't exist in List.")


def load(
    tx: Transaction, account: str, region: str, list_name: str, email: str
) -> dict[str, Any] | None:
    """The stored contact (TopicPreferences, UnsubscribeAll, AttributesData, timestamps)."""
    row = tx.fetchone(
        "SELECT data, created_at, updated_at FROM ses_contacts "
        "WHERE account = ? AND region = ? AND list_name = ? AND email = ?",
        (account, region, list_name, email),
    )
    if row is None:
        return None
    data: dict[str, Any] = json.loads(row[0])
    data["CreatedTimestamp"] = float(row[1])
    data["LastUpdatedTimestamp"] = float(row[2])
    return data


def save(
    tx: Transaction,
    account: str,
    region: str,
    list_name: str,
    email: str,
    data: dict[str, Any],
    now: float,
) -> None:
    """Write ``data`` (without timestamps) as the contact, creating it if need be."""
    stored = {
        key: data.get(key) for key in ("TopicPreferences", "UnsubscribeAll", "AttributesData")
    }
    # An upsert: a send adds its recipient while CreateContact may add the same one.
    tx.execute(
        "INSERT INTO ses_contacts (account, region, list_name, email, created_at, "
        "updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (account, region, list_name, email) "
        "DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
        (account, region, list_name, email, now, now, json.dumps(stored)),
    )


def add_if_missing(
    tx: Transaction, account: str, region: str, list_name: str, email: str, now: float
) -> None:
    """Make ``email`` a contact without preferences unless it already is one."""
    empty = {"TopicPreferences": [], "UnsubscribeAll": False, "AttributesData": None}
    tx.execute(
        "INSERT INTO ses_contacts (account, region, list_name, email, created_at, "
        "updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (account, region, list_name, email, now, now, json.dumps(empty)),
    )


def preference(contact: dict[str, Any], topic: str) -> str | None:
    """The contact's own status for ``topic`` (OPT_IN, OPT_OUT), or None."""
    for item in contact.get("TopicPreferences") or []:
        if item["TopicName"] == topic:
            return str(item["SubscriptionStatus"])
    return None


def opted_out(contact: dict[str, Any], contact_list: dict[str, Any], topic: str | None) -> bool:
    """Whether mail of ``topic`` (or of the list, without one) must not reach the contact:
    unsubscribed from all, opted out of the topic, or without a preference for a topic
    whose default is OPT_OUT."""
    if contact.get("UnsubscribeAll"):
        return True
    if topic is None:
        return False
    status = preference(contact, topic) or lists.topic_defaults(contact_list).get(topic)
    return status == "OPT_OUT"


def _check_email(email: str) -> str:
    # The sending engine imports this package: its module is read at call time.
    problem = outbound.address_problem(bare_address(email))
    if problem is not None or bare_address(email) != email.strip():
        # Choice: AWS's text for a malformed contact address was not found; this is
        # SES's sending text for the same fault.
        raise _bad(f"Invalid email address {email}: {problem or 'not a bare address'}")
    return email


def _check_preferences(
    contact_list: dict[str, Any], list_name: str, given: list[dict[str, Any]]
) -> list[dict[str, str]]:
    topics = lists.topic_defaults(contact_list)
    seen: set[str] = set()
    for item in given:
        name = item["TopicName"]
        if name not in topics:
            raise lists.missing_topic(list_name, name)
        if name in seen:
            # Choice: AWS's text for a topic named twice was not found.
            raise _bad(f"Duplicate topic preference for Topic: {name}")
        seen.add(name)
    return [
        {"TopicName": item["TopicName"], "SubscriptionStatus": item["SubscriptionStatus"]}
        for item in given
    ]


def _check_attributes(data: str | None) -> str | None:
    if data is None:
        return None
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        # Choice: AWS documents AttributesData as JSON; its refusal text was not found.
        raise _bad("AttributesData must be a JSON object.")
    return data


def _shape(email: str, contact: dict[str, Any], contact_list: dict[str, Any]) -> dict[str, Any]:
    """The Contact summary: the contact's preferences for topics the list still has, and
    the defaults of all its topics (Choice: AWS's exact selection was not found)."""
    topics = lists.topic_defaults(contact_list)
    return {
        "EmailAddress": email,
        "TopicPreferences": [
            item for item in contact.get("TopicPreferences") or [] if item["TopicName"] in topics
        ],
        "TopicDefaultPreferences": [
            {"TopicName": name, "SubscriptionStatus": status} for name, status in topics.items()
        ],
        "UnsubscribeAll": bool(contact.get("UnsubscribeAll")),
        "LastUpdatedTimestamp": contact["LastUpdatedTimestamp"],
    }


def lock_name(account: str, region: str, list_name: str) -> str:
    return f"ses-contacts:{account}:{region}:{list_name}"


def _lock(ctx: RequestContext, list_name: str) -> str:
    return lock_name(ctx.account_id, ctx.region, list_name)


def create_contact(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    list_name, email = params["ContactListName"], _check_email(params["EmailAddress"])
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=_lock(ctx, list_name)) as tx:
        contact_list = lists.require(tx, ctx.account_id, ctx.region, list_name)
        data = {
            "TopicPreferences": _check_preferences(
                contact_list, list_name, params.get("TopicPreferences", [])
            ),
            "UnsubscribeAll": bool(params.get("UnsubscribeAll", False)),
            "AttributesData": _check_attributes(params.get("AttributesData")),
        }
        if load(tx, ctx.account_id, ctx.region, list_name, email) is not None:
            raise AwsError("AlreadyExistsException", f"{email} already exists in List.")
        save(tx, ctx.account_id, ctx.region, list_name, email, data, now)
    return {}


def get_contact(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    list_name, email = params["ContactListName"], params["EmailAddress"]
    with ctx.db.transaction(readonly=True) as tx:
        contact_list = lists.require(tx, ctx.account_id, ctx.region, list_name)
        contact = load(tx, ctx.account_id, ctx.region, list_name, email)
    if contact is None:
        raise missing_contact(email)
    answer = {
        "ContactListName": list_name,
        **_shape(email, contact, contact_list),
        "CreatedTimestamp": contact["CreatedTimestamp"],
    }
    if contact.get("AttributesData") is not None:
        answer["AttributesData"] = contact["AttributesData"]
    return answer


def update_contact(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """AWS quirk: "You must specify all existing topic preferences ... otherwise, all your
    existing preferences will be removed" (API reference, UpdateContact), so the
    preferences and UnsubscribeAll are replaced. Choice: AttributesData, when omitted,
    is kept."""
    list_name, email = params["ContactListName"], params["EmailAddress"]
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=_lock(ctx, list_name)) as tx:
        contact_list = lists.require(tx, ctx.account_id, ctx.region, list_name)
        contact = load(tx, ctx.account_id, ctx.region, list_name, email)
        if contact is None:
            raise missing_contact(email)
        attributes = params.get("AttributesData")
        data = {
            "TopicPreferences": _check_preferences(
                contact_list, list_name, params.get("TopicPreferences", [])
            ),
            "UnsubscribeAll": bool(params.get("UnsubscribeAll", False)),
            "AttributesData": (
                contact.get("AttributesData")
                if attributes is None
                else _check_attributes(attributes)
            ),
        }
        save(tx, ctx.account_id, ctx.region, list_name, email, data, now)
    return {}


def delete_contact(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    list_name, email = params["ContactListName"], params["EmailAddress"]
    scope = (ctx.account_id, ctx.region, list_name, email)
    with ctx.db.transaction(lock=_lock(ctx, list_name)) as tx:
        lists.require(tx, ctx.account_id, ctx.region, list_name)
        deleted = tx.execute(
            "DELETE FROM ses_contacts "
            "WHERE account = ? AND region = ? AND list_name = ? AND email = ?",
            scope,
        )
        if not deleted:
            raise missing_contact(email)
        tx.execute(
            "DELETE FROM ses_unsubscribe_links "
            "WHERE account = ? AND region = ? AND list_name = ? AND email = ?",
            scope,
        )
    return {}


def _matches(
    contact: dict[str, Any], contact_list: dict[str, Any], filter_: dict[str, Any]
) -> bool:
    """ListContacts' Filter. Choice (AWS's exact semantics were not found): with a
    TopicFilter, a contact's status is its preference for that topic, or the topic's
    default when UseDefaultIfPreferenceUnavailable is true, else it has none and is left
    out; without one, a contact unsubscribed from all is OPT_OUT and any other OPT_IN."""
    wanted = filter_.get("FilteredStatus")
    topic_filter = filter_.get("TopicFilter")
    if topic_filter and topic_filter.get("TopicName"):
        topic = topic_filter["TopicName"]
        status = preference(contact, topic)
        if status is None and topic_filter.get("UseDefaultIfPreferenceUnavailable"):
            status = lists.topic_defaults(contact_list).get(topic)
        if status is None:
            return False
    else:
        status = "OPT_OUT" if contact.get("UnsubscribeAll") else "OPT_IN"
    return wanted is None or status == wanted


def list_contacts(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    list_name = params["ContactListName"]
    limit = lists.page_size(params)
    filter_ = params.get("Filter") or {}
    sql = (
        "SELECT email, created_at, updated_at, data FROM ses_contacts "
        "WHERE account = ? AND region = ? AND list_name = ?"
    )
    values: list[Any] = [ctx.account_id, ctx.region, list_name]
    token = params.get("NextToken")
    if token is not None:
        after_created, after_email = decode_token(token, "BadRequestException", 2)
        sql += " AND (created_at > ? OR (created_at = ? AND email > ?))"
        values += [after_created, after_created, after_email]
    with ctx.db.transaction(readonly=True) as tx:
        contact_list = lists.require(tx, ctx.account_id, ctx.region, list_name)
        topic = (filter_.get("TopicFilter") or {}).get("TopicName")
        if topic and topic not in lists.topic_defaults(contact_list):
            raise lists.missing_topic(list_name, topic)
        rows = tx.fetchall(sql + " ORDER BY created_at, email", values)
    found: list[dict[str, Any]] = []
    next_token = None
    for email, created, updated, data in rows:
        contact = {**json.loads(data), "LastUpdatedTimestamp": float(updated)}
        if not _matches(contact, contact_list, filter_):
            continue
        if len(found) == limit:
            last = found[-1]
            next_token = encode_token([last["_created"], last["EmailAddress"]])
            break
        found.append({**_shape(str(email), contact, contact_list), "_created": float(created)})
    answer: dict[str, Any] = {
        "Contacts": [{k: v for k, v in item.items() if k != "_created"} for item in found]
    }
    if next_token:
        answer["NextToken"] = next_token
    return answer


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "CreateContact": create_contact,
    "GetContact": get_contact,
    "UpdateContact": update_contact,
    "DeleteContact": delete_contact,
    "ListContacts": list_contacts,
}
