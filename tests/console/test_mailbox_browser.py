"""The mailbox as Mailpit users expect it, in headless Chromium: a live search box that
finds a code by its digits, and a message's views, attachments, link check, HTML check
and release. With POOLMAIL_SCREENSHOTS=1 the tests refresh docs/screenshots."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.console.conftest import screenshot
from tests.console.helpers import production_access, sign_up, signed_up_pool, verify
from tests.ses.test_smtp import Inbox, inbox, wait_for
from tests.support.server import ServerProcess

__all__ = ["inbox"]

ROWS = "#mail-rows tr[data-message-id]"


def code_of(site: ServerProcess, pool_id: str, username: str) -> str:
    answer = httpx.get(
        f"{site.url}/_poolmail/codes", params={"pool_id": pool_id, "username": username}
    )
    return str(answer.json()["code"])


def test_the_search_box_finds_a_code_by_its_digits_live(page: Page, site: ServerProcess) -> None:
    pool_id, client_id = signed_up_pool(site, "jane", "jane@example.com")
    sign_up(site, client_id, "alice", "alice@example.com")
    site.client("ses").verify_email_identity(EmailAddress="me@example.com")
    code = code_of(site, pool_id, "alice")
    page.goto("/console/mail")
    expect(page.locator(ROWS)).to_have_count(3)
    page.evaluate("window.poolmailMarker = 'same page'")

    search = page.get_by_label("Search")
    search.fill(code)
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_contain_text("alice@example.com")
    assert page.evaluate("window.poolmailMarker") == "same page"  # no reload
    assert f"q={code}" in page.url  # a reload or a shared link keeps the search
    screenshot(page, "mailbox-search")

    # Still live under the search: Alice's new code arrives, Bob's mail does not show.
    search.fill("alice")
    expect(page.locator(ROWS)).to_have_count(1)
    site.client("cognito-idp").resend_confirmation_code(ClientId=client_id, Username="alice")
    sign_up(site, client_id, "bob", "bob@example.com")
    expect(page.locator(ROWS)).to_have_count(2)
    expect(page.locator("#mail-rows")).not_to_contain_text("bob@example.com")
    search.fill("")
    expect(page.locator(ROWS)).to_have_count(5)
    page.reload()
    expect(page.locator(ROWS)).to_have_count(5)


def newsletter(site: ServerProcess) -> str:
    verify(site, "shop.example.com")
    production_access(site)
    message = EmailMessage()
    message["From"] = "Shop <news@shop.example.com>"
    message["To"] = "ann@example.org"
    message["Subject"] = "Spring news"
    message.set_content(f"Spring is here: {site.url}/_poolmail/health\n")
    message.add_alternative(
        '<html><head><link rel="stylesheet" href="https://shop.example.com/mail.css"></head>'
        '<body><div style="display:flex;width:720px">'
        f'<p id="greeting">Spring is here.</p><a href="{site.url}/_poolmail/health">Status</a>'
        ' <a href="https://unreachable.invalid/sale">Sale</a>'
        '<img src="https://shop.example.com/banner.png"><script>track()</script>'
        "</div></body></html>",
        subtype="html",
    )
    message.add_attachment(b"%PDF-1.4\n", "application", "pdf", filename="catalogue.pdf")
    sent = site.client("ses").send_raw_email(RawMessage={"Data": message.as_bytes()})
    return str(sent["MessageId"])


def test_a_message_views_checks_and_release(
    page: Page, site: ServerProcess, inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    handler, port = inbox
    message_id = newsletter(site)
    page.goto("/console/mail")
    page.locator("#mail-rows tr", has_text="Spring news").get_by_role("link").click()
    tabs = page.locator("nav.tabs")
    expect(tabs.locator("a.active")).to_have_text("HTML")
    expect(page.frame_locator("iframe.html-body").locator("#greeting")).to_have_text(
        "Spring is here."
    )

    tabs.get_by_role("link", name="Text").click()
    expect(page.locator("#view-text")).to_contain_text("Spring is here:")
    tabs.get_by_role("link", name="Source").click()
    expect(page.locator("#view-source pre")).to_contain_text("Content-Type: multipart/mixed")
    tabs.get_by_role("link", name="Headers").click()
    expect(page.locator("#view-headers")).to_contain_text("Spring news")

    tabs.get_by_role("link", name="Attachments 1").click()
    with page.expect_download() as downloaded:
        page.get_by_role("link", name="catalogue.pdf").click()
    assert downloaded.value.suggested_filename == "catalogue.pdf"
    saved = tmp_path / "catalogue.pdf"
    downloaded.value.save_as(saved)
    assert saved.read_bytes() == b"%PDF-1.4\n"

    tabs.get_by_role("link", name="HTML check").click()
    findings = page.locator("ul.findings li")
    expect(findings).to_have_count(5)
    expect(page.locator("li[data-rule='css-flex-grid']")).to_contain_text("Outlook")
    expect(page.locator("li[data-rule='too-wide'] code")).to_contain_text("width:720px")
    screenshot(page, "message-check")

    tabs.get_by_role("link", name="Links").click()
    health = page.locator(f"tr[data-link='{site.url}/_poolmail/health'] .answer")
    expect(health).to_have_text("not checked")
    page.get_by_role("button", name="Check links").click()
    expect(health).to_contain_text("200")
    sale = page.locator("tr[data-link='https://unreachable.invalid/sale'] .answer")
    expect(sale).to_contain_text("no answer")
    screenshot(page, "message-links")

    tabs.get_by_role("link", name="Release").click()
    form = page.locator("#release-form")
    expect(form.get_by_label("Recipients")).to_have_value("ann@example.org")
    form.get_by_label("Port").fill(str(port))
    form.get_by_role("button", name="Release").click()
    expect(page.locator(".notice")).to_have_text(
        f"Released to 127.0.0.1:{port} for ann@example.org."
    )
    wait_for(lambda: handler.received)
    assert handler.received[0][1] == ["ann@example.org"]
    assert b"Subject: Spring news" in handler.received[0][2]
    raw = httpx.get(f"{site.url}/_poolmail/messages/{message_id}/raw").content
    assert handler.received[0][2].rstrip(b"\r\n") == raw.rstrip(b"\r\n")
