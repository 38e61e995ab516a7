"""The console's suppression list page: listed addresses with their reasons, added and
removed through its forms, and the account's reasons switched."""

from __future__ import annotations

import httpx

from tests.console.helpers import form_post, page_problems
from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

PAGE = "/console/ses/suppression"


def test_suppression_page_lists_adds_and_removes(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    empty = httpx.get(f"{live.url}{PAGE}")
    assert empty.status_code == 200
    assert "No addresses on the suppression list." in empty.text
    assert 'href="/console/ses/suppression?' in empty.text  # the nav link

    # In the sandbox the form shows SES's refusal, and nothing is listed.
    refused = form_post(live, f"{PAGE}/add", {"email": "gone@example.com", "reason": "BOUNCE"})
    assert refused.status_code == 400
    assert "BadRequestException" in refused.text
    assert sesv2.list_suppressed_destinations()["SuppressedDestinationSummaries"] == []

    production_access(live)
    added = form_post(live, f"{PAGE}/add", {"email": "gone@example.com", "reason": "BOUNCE"})
    assert added.status_code == 303
    assert added.headers["location"].startswith(f"{PAGE}?")
    verify(live, "brand.example")
    message_id = sesv2.send_email(
        FromEmailAddress="news@brand.example",
        Destination={"ToAddresses": ["complaint@simulator.amazonses.com"]},
        Content={"Simple": {"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hi"}}}},
    )["MessageId"]

    page = httpx.get(f"{live.url}{PAGE}?done=suppression-added")
    assert "Address added to the suppression list." in page.text
    assert 'data-address="gone@example.com" data-reason="BOUNCE"' in page.text
    assert 'data-address="complaint@simulator.amazonses.com" data-reason="COMPLAINT"' in page.text
    assert f"/console/mail/{message_id}" in page.text
    assert page_problems(live, page.text) == []

    removed = form_post(live, f"{PAGE}/remove", {"email": "gone@example.com"})
    assert removed.status_code == 303
    listed = sesv2.list_suppressed_destinations()["SuppressedDestinationSummaries"]
    assert [item["EmailAddress"] for item in listed] == ["complaint@simulator.amazonses.com"]
    gone = form_post(live, f"{PAGE}/remove", {"email": "gone@example.com"})
    assert gone.status_code == 400 and "NotFoundException" in gone.text

    assert form_post(live, f"{PAGE}/reasons", {"complaint": "on"}).status_code == 303
    reasons = sesv2.get_account()["SuppressionAttributes"]["SuppressedReasons"]
    assert reasons == ["COMPLAINT"]
    # Another site's page cannot change the list.
    foreign = form_post(
        live, f"{PAGE}/add", {"email": "x@example.com", "reason": "BOUNCE"}, origin="http://evil"
    )
    assert foreign.status_code == 403
