"""Terms documents of app clients: CreateTerms, DescribeTerms, DescribeTermsByClient,
ListTerms, UpdateTerms, DeleteTerms, one row of ``cognito_terms`` each.

What AWS does with them: "When Terms and conditions and Privacy policy documents are
configured, the app client displays links to them in the sign-up page of managed login
... Amazon Cognito directs users to the terms documents for their current language, with
fallback to default ... You must provide both types of terms documents in at least one
language before Amazon Cognito displays your terms documents." [model CreateTerms]
poolmail has no managed login pages yet (issue 15): ``sign_up_links`` is what its sign-up
page is to show.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from poolmail.cognito.clients.clients import client_not_found, find_client
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.store import Row, Transaction

TERMS_OF_USE = "terms-of-use"
PRIVACY_POLICY = "privacy-policy"
DEFAULT_LANGUAGE = "cognito:default"

# Not found: AWS's texts; Choice: Cognito's "... does not exist." style for unknown terms,
# the model's sentence for duplicates ("Terms document names must be unique to the app
# client" [model TermsExistsException]) and for links, which the model lists as optional
# but every TermsType carries ("Links" is required there, at least one entry).
NOT_FOUND = "Terms {terms_id} does not exist."
NOT_FOUND_BY_CLIENT = "Terms {name} does not exist for client {client_id}."
EXISTS = "Terms {name} already exist for client {client_id}."
NO_LINKS = "Links must contain at least one link."

_COLUMNS = "id, created_at, pool_id, client_id, name, modified_at, data"


def _shape(row: Row) -> dict[str, Any]:
    data = json.loads(row[6])
    return {
        "TermsId": str(row[0]),
        "UserPoolId": str(row[2]),
        "ClientId": str(row[3]),
        "TermsName": str(row[4]),
        "TermsSource": data["TermsSource"],
        "Enforcement": data["Enforcement"],
        "Links": data["Links"],
        "CreationDate": float(row[1]),
        "LastModifiedDate": float(row[5]),
    }


def _client_of_pool(tx: Transaction, pool_id: str, client_id: str) -> None:
    client = find_client(tx, client_id)
    if client is None or client.pool_id != pool_id:
        raise client_not_found(client_id)


def _row(tx: Transaction, ctx: RequestContext, pool_id: str, terms_id: str) -> Row:
    load_pool(tx, ctx, pool_id)
    # Ids are lowercase UUIDs; the model's pattern lets callers write them in capitals.
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM cognito_terms WHERE id = ? AND pool_id = ?",
        (terms_id.lower(), pool_id),
    )
    if row is None:
        raise AwsError("ResourceNotFoundException", NOT_FOUND.format(terms_id=terms_id))
    return row


def _name_taken(tx: Transaction, client_id: str, name: str, other_than: str = "") -> bool:
    row = tx.fetchone(
        "SELECT id FROM cognito_terms WHERE client_id = ? AND name = ? AND id <> ?",
        (client_id, name, other_than),
    )
    return row is not None


def sign_up_links(tx: Transaction, client_id: str, language: str) -> dict[str, str] | None:
    """The terms-of-use and privacy-policy links managed login's sign-up page shows for
    ``language`` (`cognito:english`, ...), each falling back to `cognito:default`; None
    unless both documents have a link for the language or the default."""
    rows = tx.fetchall("SELECT name, data FROM cognito_terms WHERE client_id = ?", (client_id,))
    links: dict[str, str] = {}
    for name, data in rows:
        by_language = json.loads(data)["Links"]
        link = by_language.get(language) or by_language.get(DEFAULT_LANGUAGE)
        if link:
            links[str(name)] = str(link)
    return links if set(links) == {TERMS_OF_USE, PRIVACY_POLICY} else None


# ---- operations -------------------------------------------------------------------------


def create_terms(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("Links"):
        raise AwsError("InvalidParameterException", NO_LINKS)
    pool_id, client_id, name = params["UserPoolId"], params["ClientId"], params["TermsName"]
    now = ctx.clock.now().timestamp()
    data = {
        "TermsSource": params["TermsSource"],
        "Enforcement": params["Enforcement"],
        "Links": dict(params["Links"]),
    }
    terms_id = str(uuid.uuid4())
    # One writer per client, so two creates of the same name cannot both pass the check
    # (the UNIQUE constraint would refuse the second as an internal error).
    with ctx.db.transaction(lock=f"terms:{client_id}") as tx:
        load_pool(tx, ctx, pool_id)
        _client_of_pool(tx, pool_id, client_id)
        if _name_taken(tx, client_id, name):
            raise AwsError("TermsExistsException", EXISTS.format(name=name, client_id=client_id))
        tx.execute(
            "INSERT INTO cognito_terms (id, pool_id, client_id, name, created_at, modified_at, "
            "data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (terms_id, pool_id, client_id, name, now, now, json.dumps(data)),
        )
        row = _row(tx, ctx, pool_id, terms_id)
    return {"Terms": _shape(row)}


@local_only
def describe_terms(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        row = _row(tx, ctx, params["UserPoolId"], params["TermsId"])
    return {"Terms": _shape(row)}


@local_only
def describe_terms_by_client(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id, client_id, name = params["UserPoolId"], params["ClientId"], params["TermsName"]
    with ctx.db.transaction(readonly=True) as tx:
        load_pool(tx, ctx, pool_id)
        _client_of_pool(tx, pool_id, client_id)
        row = tx.fetchone(
            f"SELECT {_COLUMNS} FROM cognito_terms WHERE client_id = ? AND name = ?",
            (client_id, name),
        )
    if row is None:
        raise AwsError(
            "ResourceNotFoundException",
            NOT_FOUND_BY_CLIENT.format(name=name, client_id=client_id),
        )
    return {"Terms": _shape(row)}


@local_only
def list_terms(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # Not found: the page size without MaxResults; the model's maximum (60), as for clients.
    limit = params.get("MaxResults") or 60
    with ctx.db.transaction(readonly=True) as tx:
        load_pool(tx, ctx, params["UserPoolId"])
        rows, token = keyset_page(
            tx,
            f"SELECT {_COLUMNS} FROM cognito_terms WHERE pool_id = ?",
            [params["UserPoolId"]],
            key="id",
            token=params.get("NextToken") or None,
            token_error="InvalidParameterException",
            limit=limit,
        )
    summary = ("TermsId", "TermsName", "Enforcement", "CreationDate", "LastModifiedDate")
    terms = [{key: shape[key] for key in summary} for shape in map(_shape, rows)]
    result: dict[str, Any] = {"Terms": terms}
    if token:
        result["NextToken"] = token
    return result


def update_terms(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction() as tx:
        row = _row(tx, ctx, pool_id, params["TermsId"])
        terms_id, client_id = str(row[0]), str(row[3])
    # Omitted members stay as they are: the model marks every one optional and names no
    # default (unlike UpdateUserPoolClient's "sets it to its default value").
    with ctx.db.transaction(lock=f"terms:{client_id}") as tx:
        row = _row(tx, ctx, pool_id, terms_id)
        data = json.loads(row[6])
        name = params.get("TermsName") or str(row[4])
        if _name_taken(tx, client_id, name, other_than=terms_id):
            raise AwsError("TermsExistsException", EXISTS.format(name=name, client_id=client_id))
        for member in ("TermsSource", "Enforcement"):
            if params.get(member) is not None:
                data[member] = params[member]
        if params.get("Links") is not None:
            if not params["Links"]:
                raise AwsError("InvalidParameterException", NO_LINKS)
            data["Links"] = dict(params["Links"])
        tx.execute(
            "UPDATE cognito_terms SET name = ?, modified_at = ?, data = ? WHERE id = ?",
            (name, ctx.clock.now().timestamp(), json.dumps(data), terms_id),
        )
        row = _row(tx, ctx, pool_id, terms_id)
    return {"Terms": _shape(row)}


def delete_terms(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        row = _row(tx, ctx, params["UserPoolId"], params["TermsId"])
        tx.execute("DELETE FROM cognito_terms WHERE id = ?", (row[0],))
    return {}


OPERATIONS: dict[str, Handler] = {
    "CreateTerms": create_terms,
    "DescribeTerms": describe_terms,
    "DescribeTermsByClient": describe_terms_by_client,
    "ListTerms": list_terms,
    "UpdateTerms": update_terms,
    "DeleteTerms": delete_terms,
}
