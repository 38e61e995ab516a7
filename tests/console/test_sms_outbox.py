"""The console's SMS outbox: the page over plain HTTP (listing, filters, escaping, the
navigation link) and in headless Chromium (a text arriving live, its code copied)."""

from __future__ import annotations

import httpx
from markupsafe import escape
from playwright.sync_api import Page, expect

from tests.console.conftest import screenshot
from tests.sms.helpers import NUMBER, texting_pool
from tests.support.server import ServerProcess


def invite(site: ServerProcess, pool_id: str, username: str, number: str = NUMBER) -> None:
    site.client("cognito-idp").admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "phone_number", "Value": number}],
        DesiredDeliveryMediums=["SMS"],
    )


def test_the_outbox_lists_texts_newest_first_with_their_codes(site: ServerProcess) -> None:
    pool_id, _ = texting_pool(site)
    invite(site, pool_id, "ana")
    invite(site, pool_id, "bo", "+15555550122")
    page = httpx.get(f"{site.url}/console/sms")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert html.index("+15555550122") < html.index(NUMBER)
    texts = httpx.get(f"{site.url}/_poolmail/sms").json()["messages"]
    for sms in texts:
        assert f'data-message-id="{sms["id"]}"' in html
        # Temporary passwords hold symbols: the page carries them escaped.
        assert f'data-copy="{escape(sms["code"])}"' in html
    assert "Your username is ana and temporary password is" in html
    assert f"{pool_id} · ana" in html
    # The navigation links the outbox beside the mailbox, on every page.
    mailbox = httpx.get(f"{site.url}/console/mail").text
    assert 'href="/console/sms?' in mailbox
    assert 'aria-current="page">SMS</a>' in html


def test_the_outbox_filters_by_number_pool_user_and_kind(site: ServerProcess) -> None:
    shop, _ = texting_pool(site)
    blog, _ = texting_pool(site)
    invite(site, shop, "cy")
    invite(site, blog, "di", "+15555550133")

    def rows(**params: str) -> str:
        return httpx.get(f"{site.url}/console/sms/rows", params=params).text

    assert "cy" in rows(to=NUMBER) and "+15555550133" not in rows(to=NUMBER)
    assert "+15555550133" in rows(pool=blog) and NUMBER not in rows(pool=blog)
    assert NUMBER in rows(user="cy") and "+15555550133" not in rows(user="cy")
    assert "No texts match" in rows(kind="cognito-sign-up")
    assert "cy" in rows(kind="cognito-invitation")
    # An unknown kind is no filter at all, as in the mailbox.
    assert "cy" in rows(kind="bogus") and "di" in rows(kind="bogus")
    page = httpx.get(f"{site.url}/console/sms", params={"pool": blog}).text
    assert f'value="{blog}"' in page
    assert f"/console/sms/rows?pool={blog}" in page


def test_every_captured_value_is_escaped(site: ServerProcess) -> None:
    template = {"SMSMessage": "<b>{username}</b> <script>x</script> {####}"}
    pool_id, _ = texting_pool(site, AdminCreateUserConfig={"InviteMessageTemplate": template})
    invite(site, pool_id, "eli")
    for path in ("/console/sms", "/console/sms/rows"):
        html = httpx.get(site.url + path).text
        assert "<script>x</script>" not in html
        assert "&lt;b&gt;eli&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;" in html


def test_a_text_appears_live_and_its_code_is_copied(page: Page, site: ServerProcess) -> None:
    pool_id, _ = texting_pool(site)
    invite(site, pool_id, "first", "+15555550144")
    page.goto("/console/sms")
    expect(page.locator("#sms-rows tr[data-message-id]")).to_have_count(1)
    page.evaluate("window.poolmailMarker = 'same page'")

    invite(site, pool_id, "fox")
    row = page.locator("#sms-rows tr", has_text=NUMBER)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Invitation")
    assert page.evaluate("window.poolmailMarker") == "same page"
    code = httpx.get(f"{site.url}/_poolmail/sms/latest", params={"to": NUMBER}).json()["code"]
    expect(row.locator("code")).to_have_text(code)
    row.get_by_role("button", name="Copy").click()
    expect(row.locator("button.copy")).to_have_text("Copied")
    screenshot(page, "sms-outbox")

    page.locator("#sms-filters input[name=to]").fill("+15555550144")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#sms-rows tr[data-message-id]")).to_have_count(1)
    expect(page.locator("#sms-rows")).to_contain_text("first")
