"""The console links a CustomMessage invocation and the mail it shaped both ways: the
message page names the invocation, the functions and pool pages the mail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest

from tests.cognito.helpers import PASSWORD, idp, latest_mail
from tests.cognito.triggers.test_standard_triggers import arn, invocations
from tests.conftest import BACKENDS
from tests.console.helpers import page_problems, verify
from tests.sms.helpers import NUMBER, latest_sms, texting_pool
from tests.support.functions import write_functions
from tests.support.server import ServerProcess, serving

SENDER = "sender@example.com"
SUBJECT_ONLY = (
    "def handler(event, context):\n"
    "    event['response']['emailSubject'] = 'Welcome, ' + event['userName']\n"
    "    return event\n"
)
WHOLE_MAIL = (
    "def handler(event, context):\n"
    "    event['response']['emailSubject'] = 'Your code'\n"
    "    code = event['request']['codeParameter']\n"
    "    event['response']['emailMessage'] = '<p>Code: ' + code + '</p>'\n"
    "    return event\n"
)
TEXT = (
    "def handler(event, context):\n"
    "    event['response']['smsMessage'] = 'Shop code ' + event['request']['codeParameter']\n"
    "    return event\n"
)
FUNCTIONS = {
    "custom-message": ("python3.12", "app.handler", {"app.py": SUBJECT_ONLY}),
    "sms-message": ("python3.12", "app.handler", {"app.py": TEXT}),
    "whole-message": ("python3.12", "app.handler", {"app.py": WHOLE_MAIL}),
}


@pytest.fixture(scope="module", params=BACKENDS)
def shaping_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    toml = write_functions(tmp_path_factory.mktemp("functions"), FUNCTIONS)
    options = ["--functions", str(toml)]
    with serving(request.param, options) as running:
        yield running


@pytest.fixture
def server(shaping_server: ServerProcess) -> ServerProcess:
    shaping_server.reset()
    return shaping_server


def _signed_up(server: ServerProcess, function: str, name: str, **settings: Any) -> str:
    cognito = idp(server)
    pool_id = str(
        cognito.create_user_pool(
            PoolName="shaped",
            AutoVerifiedAttributes=["email"],
            LambdaConfig={"CustomMessage": arn(function)},
            **settings,
        )["UserPool"]["Id"]
    )
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")[
        "UserPoolClient"
    ]["ClientId"]
    cognito.sign_up(
        ClientId=client_id,
        Username=name,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}],
    )
    return pool_id


def _page(server: ServerProcess, path: str) -> str:
    answer = httpx.get(f"{server.url}{path}")
    assert answer.status_code == 200, answer.text
    return answer.text


def _hrefs(html: str) -> list[str]:
    return [unescape(found) for found in re.findall(r'href="([^"]+)"', html)]


def test_the_mail_and_its_invocation_link_each_other(server: ServerProcess) -> None:
    pool_id = _signed_up(server, "custom-message", "kira")
    mail = latest_mail(server, "kira@example.com")
    assert mail["subject"] == "Welcome, kira"
    [invocation] = invocations(server, pool_id)
    assert invocation["source"] == "CustomMessage_SignUp"
    assert mail["details"]["shaped_by"] == invocation["id"]
    assert invocation["shaped"] == [{"channel": "mail", "messageId": mail["id"]}]

    message_page = _page(server, f"/console/mail/{mail['id']}")
    shaped = re.search(r'<dd class="shaped-by">(.*?)</dd>', message_page, re.DOTALL)
    assert shaped is not None
    text = re.sub(r"<[^>]+>", "", shaped.group(1))
    assert re.fullmatch(
        r"CustomMessage_SignUp \(function custom-message, [0-9.]+ ms\)", unescape(text)
    )
    invocation_link = f"/console/functions?id={invocation['id']}#invocation-{invocation['id']}"
    assert invocation_link in _hrefs(shaped.group(1))
    assert page_problems(server, message_page) == []

    functions_page = _page(server, invocation_link.split("#")[0])
    assert f'id="invocation-{invocation["id"]}"' in functions_page
    assert functions_page.count('<tr id="invocation-') == 1
    assert f"/console/mail/{mail['id']}" in _hrefs(functions_page)
    assert page_problems(server, functions_page) == []

    pool_page = _page(server, f"/console/pools/{pool_id}")
    section = pool_page.split('id="trigger-invocations"')[1].split("</section>")[0]
    assert "Recent trigger invocations" in section
    assert "CustomMessage_SignUp" in section
    assert invocation_link in _hrefs(section)
    assert f"/console/mail/{mail['id']}" in _hrefs(section)
    assert page_problems(server, pool_page) == []


def test_mail_sent_through_ses_is_linked_too(server: ServerProcess) -> None:
    verify(server, SENDER)
    verify(server, "lena@example.com")
    source_arn = f"arn:aws:ses:us-east-1:123456789012:identity/{SENDER}"
    pool_id = _signed_up(
        server,
        "whole-message",
        "lena",
        EmailConfiguration={"EmailSendingAccount": "DEVELOPER", "SourceArn": source_arn},
    )
    mail = latest_mail(server, "lena@example.com")
    assert mail["subject"] == "Your code"
    [invocation] = invocations(server, pool_id)
    assert mail["details"]["shaped_by"] == invocation["id"]
    functions_page = _page(server, f"/console/functions?id={invocation['id']}")
    assert f"/console/mail/{mail['id']}" in _hrefs(functions_page)
    assert "CustomMessage_SignUp" in _page(server, f"/console/mail/{mail['id']}")


def test_mail_no_function_shaped_names_none(server: ServerProcess) -> None:
    cognito = idp(server)
    pool_id = str(
        cognito.create_user_pool(PoolName="plain", AutoVerifiedAttributes=["email"])["UserPool"][
            "Id"
        ]
    )
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")[
        "UserPoolClient"
    ]["ClientId"]
    cognito.sign_up(
        ClientId=client_id,
        Username="milo",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "milo@example.com"}],
    )
    mail = latest_mail(server, "milo@example.com")
    assert mail["details"]["shaped_by"] is None
    assert "Shaped by" not in _page(server, f"/console/mail/{mail['id']}")
    pool_page = _page(server, f"/console/pools/{pool_id}")
    assert "No trigger has run for this pool" in pool_page


def test_a_deleted_mail_is_no_longer_linked(server: ServerProcess) -> None:
    pool_id = _signed_up(server, "custom-message", "opal")
    mail = latest_mail(server, "opal@example.com")
    httpx.delete(f"{server.url}/_poolmail/messages").raise_for_status()
    [invocation] = invocations(server, pool_id)
    assert invocation["shaped"] == []
    functions_page = _page(server, f"/console/functions?id={invocation['id']}")
    assert f"/console/mail/{mail['id']}" not in _hrefs(functions_page)
    assert page_problems(server, functions_page) == []


def test_a_text_links_its_invocation(server: ServerProcess) -> None:
    pool_id, client_id = texting_pool(server, LambdaConfig={"CustomMessage": arn("sms-message")})
    idp(server).sign_up(
        ClientId=client_id,
        Username="nora",
        Password=PASSWORD,
        UserAttributes=[{"Name": "phone_number", "Value": NUMBER}],
    )
    sms = latest_sms(server, pool=pool_id)
    assert sms["text"] == f"Shop code {sms['code']}"
    [invocation] = invocations(server, pool_id)
    assert sms["shaped_by"] == invocation["id"]
    assert invocation["shaped"] == [{"channel": "sms", "messageId": sms["id"]}]
    outbox_page = _page(server, f"/console/sms?pool={pool_id}")
    invocation_link = f"/console/functions?id={invocation['id']}#invocation-{invocation['id']}"
    assert invocation_link in _hrefs(outbox_page)
    functions_page = _page(server, f"/console/functions?id={invocation['id']}")
    assert f"/console/sms?pool={pool_id}#sms-{sms['id']}" in _hrefs(functions_page)
    assert page_problems(server, functions_page) == []
