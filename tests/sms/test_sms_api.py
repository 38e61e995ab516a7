"""`/_poolmail/sms` itself: filters, one text, latest, the wait long-poll, clearing, and
the admin guard in front of it."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from poolmail.server.admin_guard import AdminGuard
from tests.cognito.helpers import idp
from tests.sms.helpers import NUMBER, SMS_CONFIGURATION, latest_sms, outbox, texting_pool
from tests.support.server import ServerProcess

OTHER_ACCOUNT = "111122223333"


def invite(server: ServerProcess, pool_id: str, username: str, number: str, **client: Any) -> None:
    cognito = server.client("cognito-idp", **client) if client else idp(server)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": "phone_number", "Value": number}],
    )


def test_filters_narrow_the_listing_newest_first(live: ServerProcess) -> None:
    shop, _ = texting_pool(live)
    blog, _ = texting_pool(live)
    invite(live, shop, "ann", NUMBER)
    invite(live, shop, "ben", "+15555550122")
    invite(live, blog, "cat", NUMBER)
    other = live.client("cognito-idp", region="eu-west-1", access_key=OTHER_ACCOUNT)
    role = {"SnsCallerArn": f"arn:aws:iam::{OTHER_ACCOUNT}:role/sms"}
    elsewhere = other.create_user_pool(PoolName="far", SmsConfiguration=role)["UserPool"]["Id"]
    invite(live, elsewhere, "dan", NUMBER, region="eu-west-1", access_key=OTHER_ACCOUNT)

    everything = outbox(live)
    assert [sms["username"] for sms in everything] == ["dan", "cat", "ben", "ann"]
    assert [sms["username"] for sms in outbox(live, to=NUMBER)] == ["dan", "cat", "ann"]
    assert [sms["username"] for sms in outbox(live, destination=NUMBER, pool_id=shop)] == ["ann"]
    assert [sms["username"] for sms in outbox(live, username="ben")] == ["ben"]
    # A number is also a username filter, and a `+` lost to URL decoding is put back.
    assert len(outbox(live, username="+15555550122")) == 1
    unencoded = httpx.get(f"{live.url}/_poolmail/sms?to=+15555550122").json()["messages"]
    assert [sms["username"] for sms in unencoded] == ["ben"]
    assert [sms["username"] for sms in outbox(live, account=OTHER_ACCOUNT)] == ["dan"]
    assert [sms["username"] for sms in outbox(live, region="eu-west-1")] == ["dan"]
    assert outbox(live, kind="cognito-invitation", limit=2)[1]["username"] == "cat"
    assert outbox(live, kind="cognito-sign-up") == []
    middle = everything[2]["created_at"]
    assert [sms["username"] for sms in outbox(live, since=middle)] == ["dan", "cat", "ben"]
    assert [sms["username"] for sms in outbox(live, until=middle)] == ["ben", "ann"]
    assert outbox(live, pool=blog)[0]["username"] == "cat"
    bad = httpx.get(f"{live.url}/_poolmail/sms", params={"since": "soon"})
    assert bad.status_code == 400


def test_one_text_latest_and_clearing(live: ServerProcess) -> None:
    pool_id, _ = texting_pool(live)
    invite(live, pool_id, "eve", NUMBER)
    invite(live, pool_id, "fay", NUMBER)
    newest = latest_sms(live, to=NUMBER)
    assert newest["username"] == "fay"
    one = httpx.get(f"{live.url}/_poolmail/sms/{newest['id']}")
    assert one.status_code == 200 and one.json() == newest
    assert httpx.get(f"{live.url}/_poolmail/sms/nope").status_code == 404
    assert httpx.get(f"{live.url}/_poolmail/sms/latest", params={"to": "+1999"}).status_code == 404
    assert httpx.delete(f"{live.url}/_poolmail/sms/{newest['id']}").status_code == 204
    assert httpx.delete(f"{live.url}/_poolmail/sms/{newest['id']}").status_code == 404
    assert [sms["username"] for sms in outbox(live)] == ["eve"]
    cleared = httpx.delete(f"{live.url}/_poolmail/sms")
    assert cleared.json() == {"deleted": 1}
    assert outbox(live) == []


def test_a_reset_empties_the_outbox(live: ServerProcess) -> None:
    pool_id, _ = texting_pool(live)
    invite(live, pool_id, "gil", NUMBER)
    live.reset()
    assert outbox(live) == []


def test_wait_answers_with_the_next_text(live: ServerProcess) -> None:
    pool_id, _ = texting_pool(live)
    invite(live, pool_id, "hal", NUMBER)  # before the wait: not the one it answers with
    answers: list[httpx.Response] = []

    def wait() -> None:
        answers.append(
            httpx.get(
                f"{live.url}/_poolmail/sms/wait",
                params={"to": NUMBER, "timeout": "10"},
                timeout=15,
            )
        )

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    invite(live, pool_id, "ivy", NUMBER)
    waiter.join(timeout=15)
    assert answers and answers[0].status_code == 200
    assert answers[0].json()["username"] == "ivy"


def test_wait_times_out_and_since_reaches_back(live: ServerProcess) -> None:
    pool_id, _ = texting_pool(live)
    started = time.time()
    timed_out = httpx.get(f"{live.url}/_poolmail/sms/wait", params={"to": NUMBER, "timeout": "0.3"})
    assert timed_out.status_code == 408
    assert time.time() - started < 5
    invite(live, pool_id, "jo", NUMBER)
    invite(live, pool_id, "kai", NUMBER)
    # `since` before both: the first text after it, not the newest.
    found = httpx.get(
        f"{live.url}/_poolmail/sms/wait", params={"since": str(started), "timeout": "1"}
    )
    assert found.status_code == 200 and found.json()["username"] == "jo"


def test_the_outbox_is_behind_the_admin_guard() -> None:
    for path in ("/_poolmail/sms", "/_poolmail/sms/latest", "/_poolmail/sms/wait", "/console/sms"):
        assert AdminGuard._guarded(path)


def test_sms_configuration_round_trips(live: ServerProcess) -> None:
    pool_id, _ = texting_pool(live)
    described = idp(live).describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["SmsConfiguration"] == SMS_CONFIGURATION
