"""The mailbox search (`q`) over HTTP, on SQLite and PostgreSQL: subject, bodies (HTML
without its tags) and addresses; a Cognito code found by its digits."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import httpx

from tests.console.helpers import signed_up_pool
from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

SENDER = "Shop Team <news@shop.example.com>"


def search(server: ServerProcess, q: str, **filters: str) -> list[str]:
    """The subjects of the messages the search finds, newest first."""
    answer = httpx.get(f"{server.url}/_poolmail/messages", params={"q": q, **filters})
    answer.raise_for_status()
    return [message["subject"] for message in answer.json()["messages"]]


def send(
    server: ServerProcess, subject: str, to: str, *, text: str, html: str | None = None
) -> str:
    body: dict[str, Any] = {"Text": {"Data": text}}
    if html is not None:
        body["Html"] = {"Data": html}
    sent = server.client("ses").send_email(
        Source=SENDER,
        Destination={"ToAddresses": [to]},
        Message={"Subject": {"Data": subject}, "Body": body},
    )
    return str(sent["MessageId"])


def test_a_sign_up_code_is_found_by_its_digits(live: ServerProcess) -> None:
    pool_id, _ = signed_up_pool(live, "jane", "jane@example.com")
    code = httpx.get(
        f"{live.url}/_poolmail/codes", params={"pool_id": pool_id, "username": "jane"}
    ).json()["code"]
    assert search(live, code) == ["Your verification code"]
    assert search(live, code[1:5]) == ["Your verification code"]
    other = str((int(code) + 1) % 1_000_000).zfill(6)
    assert search(live, other) == []
    latest = httpx.get(f"{live.url}/_poolmail/messages/latest", params={"q": code}).json()
    assert latest["details"]["code"] == code


def test_search_reads_subject_bodies_and_addresses(live: ServerProcess) -> None:
    verify(live, "shop.example.com")
    production_access(live)
    send(live, "Spring sale", "ann@example.org", text="Fifty percent off boots")
    send(
        live,
        "Your receipt",
        "bob@example.net",
        text="Order 4711",
        html="<p class='total'>Total: <b>12&nbsp;EUR</b></p><a href='https://track.example'>Track</a>",
    )
    assert search(live, "spring") == ["Spring sale"]  # subject, any case
    assert search(live, "BOOTS") == ["Spring sale"]  # text body
    assert search(live, "12 eur") == ["Your receipt"]
    assert search(live, '"total: 12 eur"') == ["Your receipt"]  # HTML text, entity decoded
    assert search(live, "total") == ["Your receipt"]
    assert search(live, "class") == []  # tags and attributes are not text
    assert search(live, "bob@example.net") == ["Your receipt"]  # recipient
    assert search(live, "example.org") == ["Spring sale"]
    assert search(live, "shop team") == ["Your receipt", "Spring sale"]  # sender's name
    # Every word must occur, in any field; a quoted phrase as written.
    assert search(live, "receipt 4711") == ["Your receipt"]
    assert search(live, "receipt boots") == []
    assert search(live, '"sale spring"') == []
    # LIKE's wildcards are plain characters in a search.
    assert search(live, "%") == []
    assert search(live, "_") == []
    # With the other filters, before the limit.
    assert search(live, "shop", recipient="ann@example.org") == ["Spring sale"]
    assert search(live, "shop", limit="1") == ["Your receipt"]
    assert search(live, "  ") == ["Your receipt", "Spring sale"]


def test_a_raw_message_is_searched_in_its_decoded_bodies(live: ServerProcess) -> None:
    verify(live, "shop.example.com")
    production_access(live)
    message = EmailMessage()
    message["From"] = "news@shop.example.com"
    message["To"] = "cy@example.org"
    message["Subject"] = "Grüße aus Köln"
    message.set_content("Der Rabattcode lautet KÖLN-2024.\n", cte="base64")
    message.add_alternative("<p>Der <i>Rabattcode</i> lautet KÖLN-2024.</p>", subtype="html")
    live.client("ses").send_raw_email(RawMessage={"Data": message.as_bytes()})
    assert search(live, "KÖLN-2024") == ["Grüße aus Köln"]  # base64 text, any case
    assert search(live, "grüße rabattcode") == ["Grüße aus Köln"]


def test_latest_and_wait_take_the_search(live: ServerProcess) -> None:
    verify(live, "shop.example.com")
    production_access(live)
    send(live, "First", "ann@example.org", text="apples")
    send(live, "Second", "ann@example.org", text="pears")
    latest = httpx.get(f"{live.url}/_poolmail/messages/latest", params={"q": "apples"})
    assert latest.json()["subject"] == "First"
    missing = httpx.get(f"{live.url}/_poolmail/messages/latest", params={"q": "plums"})
    assert missing.status_code == 404
    waited = httpx.get(
        f"{live.url}/_poolmail/messages/wait", params={"q": "pears", "since": "0", "timeout": "2"}
    )
    assert waited.json()["subject"] == "Second"
    timed_out = httpx.get(
        f"{live.url}/_poolmail/messages/wait", params={"q": "plums", "timeout": "0.2"}
    )
    assert timed_out.status_code == 408


def test_the_console_rows_take_the_search(live: ServerProcess) -> None:
    pool_id, _ = signed_up_pool(live, "jane", "jane@example.com")
    code = httpx.get(
        f"{live.url}/_poolmail/codes", params={"pool_id": pool_id, "username": "jane"}
    ).json()["code"]
    live.client("ses").verify_email_identity(EmailAddress="me@example.com")
    rows = httpx.get(f"{live.url}/console/mail/rows", params={"q": code}).text
    assert rows.count("data-message-id") == 1
    assert "jane@example.com" in rows
    page = httpx.get(f"{live.url}/console/mail", params={"q": code}).text
    assert f'name="q" value="{code}"' in page
    assert f"/console/mail/rows?q={code}" in page
    assert "No messages match" in httpx.get(f"{live.url}/console/mail/rows?q=nothing-here").text
