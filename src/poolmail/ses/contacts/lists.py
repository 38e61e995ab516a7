"""SES v2 contact lists: Create/Get/Update/Delete/ListContactLists, and the reads the
contacts, the send hook and the unsubscribe page make of a list and its topics."""

from __future__ import annotations

import json
import re
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.ses.account.tags import check_tags
from poolmail.store import Transaction

# AWS quirk: one contact list per account (docs.aws.amazon.com/ses/latest/dg/
# sending-email-list-management.html), per Region as every SES resource; 20 topics a list.
MAX_LISTS = 1
MAX_TOPICS = 20
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def missing_list(name: str) -> AwsError:
    # AWS's text as third-party emulators that probed SES quote it (facts §6).
    return AwsError("NotFoundException", f"List with name: {name} doesn't exist.")


def missing_topic(list_name: str, topic: str) -> AwsError:
    return _bad(f"List: {list_name} doesn't contain Topic: {topic}")


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise _bad(
            "ContactListName can contain up to 64 characters. Only alphanumeric characters, "
            "underscores(_) and hyphens(-) are allowed."
        )


def _check_topics(topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(topics) > MAX_TOPICS:
        raise _bad(f"Maximum of {MAX_TOPICS} topics allowed per ContactList")
    names = [topic["TopicName"] for topic in topics]
    if len(set(names)) != len(names):
        raise _bad("Duplicate topic names are not allowed within a List.")
    for name in names:
        if not _NAME.fullmatch(name):
            # Choice: AWS's rule for topic names was not found; poolmail applies the list
            # name's, which keeps names safe in URLs and headers.
            raise _bad(
                "TopicName can contain up to 64 characters. Only alphanumeric characters, "
                "underscores(_) and hyphens(-) are allowed."
            )
    kept = ("TopicName", "DisplayName", "Description", "DefaultSubscriptionStatus")
    return [{key: topic[key] for key in kept if key in topic} for topic in topics]


def load(tx: Transaction, account: str, region: str, name: str) -> dict[str, Any] | None:
    """The stored list (Topics, Description, Tags, CreatedTimestamp, LastUpdatedTimestamp)."""
    row = tx.fetchone(
        "SELECT data, created_at, updated_at FROM ses_contact_lists "
        "WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    )
    if row is None:
        return None
    data: dict[str, Any] = json.loads(row[0])
    data["CreatedTimestamp"] = float(row[1])
    data["LastUpdatedTimestamp"] = float(row[2])
    return data


def require(tx: Transaction, account: str, region: str, name: str) -> dict[str, Any]:
    found = load(tx, account, region, name)
    if found is None:
        raise missing_list(name)
    return found


def topic_defaults(contact_list: dict[str, Any]) -> dict[str, str]:
    """Each topic's name and its DefaultSubscriptionStatus, in the list's order."""
    return {
        topic["TopicName"]: topic["DefaultSubscriptionStatus"]
        for topic in contact_list.get("Topics", [])
    }


def _lock(ctx: RequestContext) -> str:
    return f"ses-contact-lists:{ctx.account_id}:{ctx.region}"


def create_contact_list(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ContactListName"]
    check_name(name)
    data = {
        "Topics": _check_topics(params.get("Topics", [])),
        "Description": params.get("Description"),
        "Tags": check_tags(params.get("Tags", [])),
    }
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=_lock(ctx)) as tx:
        if load(tx, ctx.account_id, ctx.region, name) is not None:
            # Choice: AWS's text for a second list of the same name was not found.
            raise AwsError("AlreadyExistsException", f"List with name: {name} already exists.")
        row = tx.fetchone(
            "SELECT COUNT(*) FROM ses_contact_lists WHERE account = ? AND region = ?",
            (ctx.account_id, ctx.region),
        )
        if row is not None and int(row[0]) >= MAX_LISTS:
            # AWS quirk: the limit answers BadRequestException, not the modelled
            # LimitExceededException (facts §6, probed by a third-party emulator).
            raise _bad(f"A maximum of {MAX_LISTS} Lists allowed per account.")
        tx.execute(
            "INSERT INTO ses_contact_lists (account, region, name, created_at, updated_at, "
            "data) VALUES (?, ?, ?, ?, ?, ?)",
            (ctx.account_id, ctx.region, name, now, now, json.dumps(data)),
        )
    return {}


def get_contact_list(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ContactListName"]
    with ctx.db.transaction(readonly=True) as tx:
        found = require(tx, ctx.account_id, ctx.region, name)
    answer = {"ContactListName": name, **found}
    if answer.get("Description") is None:
        answer.pop("Description", None)
    return answer


def update_contact_list(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # UpdateContactList replaces the topics and description as given (the model's PUT).
    name = params["ContactListName"]
    topics = _check_topics(params.get("Topics", []))
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=_lock(ctx)) as tx:
        found = require(tx, ctx.account_id, ctx.region, name)
        data = {
            "Topics": topics,
            "Description": params.get("Description"),
            "Tags": found.get("Tags", []),
        }
        tx.execute(
            "UPDATE ses_contact_lists SET data = ?, updated_at = ? "
            "WHERE account = ? AND region = ? AND name = ?",
            (json.dumps(data), now, ctx.account_id, ctx.region, name),
        )
    return {}


def delete_contact_list(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ContactListName"]
    scope = (ctx.account_id, ctx.region, name)
    with ctx.db.transaction(lock=_lock(ctx)) as tx:
        require(tx, *scope)
        # Deleting a list deletes its contacts (the model's DeleteContactList).
        for table, column in (
            ("ses_contacts", "list_name"),
            ("ses_unsubscribe_links", "list_name"),
            ("ses_contact_lists", "name"),
        ):
            tx.execute(
                f"DELETE FROM {table} WHERE account = ? AND region = ? AND {column} = ?", scope
            )
    return {}


def page_size(params: dict[str, Any]) -> int:
    """PageSize as asked. Choice: AWS's bounds were not found; poolmail answers 100 by
    default, refuses less than 1 and returns at most 1000."""
    size = params.get("PageSize")
    if size is None:
        return DEFAULT_PAGE_SIZE
    if size < 1:
        raise _bad("PageSize must be at least 1.")
    return int(min(size, MAX_PAGE_SIZE))


def list_contact_lists(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        rows, next_token = keyset_page(
            tx,
            "SELECT name, created_at, updated_at FROM ses_contact_lists "
            "WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            key="name",
            token=params.get("NextToken"),
            token_error="BadRequestException",
            limit=page_size(params),
        )
    answer: dict[str, Any] = {
        "ContactLists": [
            {"ContactListName": str(row[0]), "LastUpdatedTimestamp": float(row[2])} for row in rows
        ]
    }
    if next_token:
        answer["NextToken"] = next_token
    return answer


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "CreateContactList": create_contact_list,
    "GetContactList": get_contact_list,
    "UpdateContactList": update_contact_list,
    "DeleteContactList": delete_contact_list,
    "ListContactLists": list_contact_lists,
}
