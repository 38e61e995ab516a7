"""SES templates through both APIs, and the Handlebars subset that renders them."""

from __future__ import annotations

import email
import json
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from botocore.exceptions import ClientError

from poolmail.protocol.errors import AwsError
from poolmail.ses.templates import handlebars, templates
from poolmail.store import Database, open_database
from tests.support.server import ServerProcess

WELCOME = {
    "TemplateName": "welcome",
    "SubjectPart": "Greetings, {{name}}!",
    "TextPart": "Dear {{name}},\r\nYour favorite animal is {{favoriteanimal}}.",
    "HtmlPart": "<h1>Hello {{name}},</h1><p>Your favorite animal is {{favoriteanimal}}.</p>",
}


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def parts_of(rendered: str) -> tuple[Message, dict[str, str]]:
    message = email.message_from_string(rendered)
    bodies = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    return message, bodies


# --- SES v1 -----------------------------------------------------------------------------


def test_v1_create_get_update_delete(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_template(Template=WELCOME)
    assert ses.get_template(TemplateName="welcome")["Template"] == {
        **WELCOME,
        # XML carries CR LF as LF, as AWS's own answers do.
        "TextPart": WELCOME["TextPart"].replace("\r\n", "\n"),
    }
    ses.update_template(Template={"TemplateName": "welcome", "SubjectPart": "Hi {{name}}"})
    assert ses.get_template(TemplateName="welcome")["Template"] == {
        "TemplateName": "welcome",
        "SubjectPart": "Hi {{name}}",
    }
    ses.delete_template(TemplateName="welcome")
    with pytest.raises(ClientError) as excinfo:
        ses.get_template(TemplateName="welcome")
    assert error_of(excinfo) == ("TemplateDoesNotExist", "Template welcome does not exist.", 400)


def test_v1_errors(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_template(Template=WELCOME)
    with pytest.raises(ClientError) as excinfo:
        ses.create_template(Template=WELCOME)
    assert error_of(excinfo) == ("AlreadyExists", "Template welcome already exists.", 400)
    with pytest.raises(ClientError) as excinfo:
        ses.update_template(Template={**WELCOME, "TemplateName": "nope"})
    assert error_of(excinfo) == ("TemplateDoesNotExist", "Template nope does not exist.", 400)
    with pytest.raises(ClientError) as excinfo:
        ses.create_template(Template={"TemplateName": "bare", "TextPart": "hi"})
    assert error_of(excinfo) == ("InvalidParameterValue", "The subject must be specified.", 400)
    with pytest.raises(ClientError) as excinfo:
        ses.create_template(Template={"TemplateName": "bad", "SubjectPart": "{{#if a}}open"})
    assert error_of(excinfo) == (
        "InvalidTemplate",
        "Template bad is invalid: the block 'if' is never closed",
        400,
    )
    # Deleting an unknown template is no error in v1 (the model lists none).
    ses.delete_template(TemplateName="never-created")


def test_v1_list_pages(live: ServerProcess) -> None:
    ses = live.client("ses")
    for name in ("a", "b", "c"):
        ses.create_template(Template={"TemplateName": name, "SubjectPart": name})
    first = ses.list_templates(MaxItems=2)
    assert [item["Name"] for item in first["TemplatesMetadata"]] == ["a", "b"]
    assert all("CreatedTimestamp" in item for item in first["TemplatesMetadata"])
    second = ses.list_templates(MaxItems=2, NextToken=first["NextToken"])
    assert [item["Name"] for item in second["TemplatesMetadata"]] == ["c"]
    assert "NextToken" not in second
    with pytest.raises(ClientError) as excinfo:
        ses.list_templates(NextToken="not-a-token")
    assert error_of(excinfo) == ("InvalidParameterValue", "Invalid pagination token.", 400)


def test_v1_test_render_template(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_template(Template=WELCOME)
    data = {"name": "John & Jane", "favoriteanimal": "Lion"}
    rendered = ses.test_render_template(TemplateName="welcome", TemplateData=json.dumps(data))
    message, bodies = parts_of(rendered["RenderedTemplate"])
    assert message["Subject"] == "Greetings, John & Jane!"
    assert bodies["text/plain"].replace("\r\n", "\n") == (
        "Dear John & Jane,\nYour favorite animal is Lion.\n"
    )
    # SES does not escape HTML in data (send-personalized-email-advanced.html).
    assert bodies["text/html"].strip() == (
        "<h1>Hello John & Jane,</h1><p>Your favorite animal is Lion.</p>"
    )


def test_v1_render_errors(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_template(Template=WELCOME)
    with pytest.raises(ClientError) as excinfo:
        ses.test_render_template(TemplateName="welcome", TemplateData='{"name": "John"}')
    assert error_of(excinfo) == (
        "MissingRenderingAttribute",
        "Attribute 'favoriteanimal' is not present in the rendering data.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        ses.test_render_template(TemplateName="welcome", TemplateData="{not json")
    assert error_of(excinfo)[0] == "InvalidRenderingParameter"
    with pytest.raises(ClientError) as excinfo:
        ses.test_render_template(TemplateName="nope", TemplateData="{}")
    assert error_of(excinfo) == ("TemplateDoesNotExist", "Template nope does not exist.", 400)


def test_advanced_render_as_aws_verified(live: ServerProcess) -> None:
    # The case moto checked against AWS (test_render_template__advanced).
    ses = live.client("ses")
    html = "{{#each items}} {{name}} is {{#if best}}the best{{else}}a {{type}}{{/if}}, {{/each}}"
    ses.create_template(Template={"TemplateName": "MTT", "SubjectPart": "..", "HtmlPart": html})
    items = [
        {"type": "dog", "name": "bobby", "best": True},
        {"type": "cat", "name": "pedro", "best": False},
    ]
    rendered = ses.test_render_template(
        TemplateName="MTT", TemplateData=json.dumps({"items": items})
    )["RenderedTemplate"]
    assert "bobby is the best" in rendered
    assert "pedro is a cat" in rendered


# --- SES v2 and the shared store --------------------------------------------------------


def test_v2_round_trip_shares_state_with_v1(live: ServerProcess) -> None:
    sesv2, ses = live.client("sesv2"), live.client("ses")
    sesv2.create_email_template(
        TemplateName="v2",
        TemplateContent={"Subject": "S {{a}}", "Text": "T", "Html": "<b>H</b>"},
        Tags=[{"Key": "team", "Value": "mail"}],
    )
    got = sesv2.get_email_template(TemplateName="v2")
    assert got["TemplateName"] == "v2"
    assert got["TemplateContent"] == {"Subject": "S {{a}}", "Text": "T", "Html": "<b>H</b>"}
    assert got["Tags"] == [{"Key": "team", "Value": "mail"}]
    assert ses.get_template(TemplateName="v2")["Template"]["SubjectPart"] == "S {{a}}"
    ses.create_template(Template={"TemplateName": "v1", "SubjectPart": "one"})
    listed = sesv2.list_email_templates(PageSize=1)
    assert [item["TemplateName"] for item in listed["TemplatesMetadata"]] == ["v2"]
    rest = sesv2.list_email_templates(PageSize=1, NextToken=listed["NextToken"])
    assert [item["TemplateName"] for item in rest["TemplatesMetadata"]] == ["v1"]
    sesv2.update_email_template(TemplateName="v1", TemplateContent={"Subject": "two"})
    assert ses.get_template(TemplateName="v1")["Template"]["SubjectPart"] == "two"
    rendered = sesv2.test_render_email_template(TemplateName="v2", TemplateData='{"a": 1}')
    assert parts_of(rendered["RenderedTemplate"])[0]["Subject"] == "S 1"
    sesv2.delete_email_template(TemplateName="v2")
    assert [item["Name"] for item in ses.list_templates()["TemplatesMetadata"]] == ["v1"]


def test_v2_errors(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    content = {"Subject": "Hi {{name}}"}
    sesv2.create_email_template(TemplateName="t", TemplateContent=content)
    with pytest.raises(ClientError) as excinfo:
        sesv2.create_email_template(TemplateName="t", TemplateContent=content)
    assert error_of(excinfo) == ("AlreadyExistsException", "Template t already exists.", 400)
    for call in (
        lambda: sesv2.get_email_template(TemplateName="nope"),
        lambda: sesv2.delete_email_template(TemplateName="nope"),
        lambda: sesv2.update_email_template(TemplateName="nope", TemplateContent=content),
        lambda: sesv2.test_render_email_template(TemplateName="nope", TemplateData="{}"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("NotFoundException", "Template nope does not exist.", 404)
    with pytest.raises(ClientError) as excinfo:
        sesv2.test_render_email_template(TemplateName="t", TemplateData="{}")
    assert error_of(excinfo) == (
        "BadRequestException",
        "Attribute 'name' is not present in the rendering data.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        sesv2.create_email_template(TemplateName="u", TemplateContent={"Text": "no subject"})
    assert error_of(excinfo) == ("BadRequestException", "The subject must be specified.", 400)
    with pytest.raises(ClientError) as excinfo:
        sesv2.list_email_templates(PageSize=101)
    assert error_of(excinfo)[0] == "BadRequestException"


def test_templates_belong_to_one_account_and_region(live: ServerProcess) -> None:
    live.client("ses").create_template(Template=WELCOME)
    for other in (
        live.client("ses", region="eu-west-1"),
        live.client("ses", access_key="111122223333"),
    ):
        assert other.list_templates()["TemplatesMetadata"] == []
        other.create_template(Template=WELCOME)  # no clash with the first account's


# --- the render API the senders use ------------------------------------------------------


@pytest.fixture
def db() -> Iterator[Database]:
    database = open_database(data_dir=":memory:")
    yield database
    database.close()


def test_render_reads_the_store(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO ses_templates (account, region, name, created_at, data) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                "123456789012",
                "us-east-1",
                "t",
                1.0,
                json.dumps({"Subject": "Hi {{a.b}}", "Text": None, "Html": "<p>{{{a.b}}}</p>"}),
            ),
        )
        parts = templates.render(tx, "123456789012", "us-east-1", "t", '{"a": {"b": "<x>"}}')
        assert parts == ("Hi <x>", None, "<p><x></p>")
        with pytest.raises(AwsError) as excinfo:
            templates.render(tx, "123456789012", "eu-west-1", "t", "{}")
        assert excinfo.value.code == "TemplateDoesNotExistException"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("{}", "MissingRenderingAttributeException"),
        ("[1]", "InvalidRenderingParameterException"),
        ("{", "InvalidRenderingParameterException"),
    ],
)
def test_render_inline_errors(data: str, code: str) -> None:
    with pytest.raises(AwsError) as excinfo:
        templates.render_inline("Hi {{name}}", None, None, data)
    assert excinfo.value.code == code


def test_render_inline_fills_every_part() -> None:
    assert templates.render_inline("S {{x}}", "T {{x}}", "H {{x}}", '{"x": 2.0}') == (
        "S 2",
        "T 2",
        "H 2",
    )


# --- Handlebars -------------------------------------------------------------------------

PEOPLE: dict[str, Any] = {
    "title": "Team",
    "people": [{"name": "Ann", "tags": ["a", "b"]}, {"name": "Bo", "tags": []}],
    "contact": {"firstName": "Anaya", "city": "Bengaluru"},
    "flags": {"on": True, "off": False, "zero": 0, "empty": "", "none": None},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Hello {{contact.firstName}}!", "Hello Anaya!"),
        ("{{contact/city}} {{this.title}}", "Bengaluru Team"),
        ("{{#each people}}{{@index}}:{{name}}({{../title}}) {{/each}}", "0:Ann(Team) 1:Bo(Team) "),
        ("{{#each people}}{{#each tags}}{{this}}{{else}}none{{/each}};{{/each}}", "ab;none;"),
        ("{{#each contact}}{{@key}}={{this}} {{/each}}", "firstName=Anaya city=Bengaluru "),
        ("{{#each people}}{{#if @first}}[{{/if}}{{name}}{{#if @last}}]{{/if}}{{/each}}", "[AnnBo]"),
        ("{{#if flags.on}}y{{else}}n{{/if}}{{#if flags.zero}}y{{else}}n{{/if}}", "yn"),
        ("{{#if missing}}y{{else if flags.on}}e{{else}}n{{/if}}", "e"),
        ("{{#unless flags.empty}}u{{/unless}}{{^flags.none}}i{{/flags.none}}", "ui"),
        ("{{#with contact}}{{firstName}}@{{city}}{{/with}}", "Anaya@Bengaluru"),
        ("{{#contact}}{{city}}{{/contact}}", "Bengaluru"),
        ("{{!-- a }} comment --}}{{! short }}x", "x"),
        ("a  {{~ title ~}}  b", "aTeamb"),
        (
            "<ul>\n  {{#each people}}\n  <li>{{name}}</li>\n  {{/each}}\n</ul>",
            "<ul>\n  <li>Ann</li>\n  <li>Bo</li>\n</ul>",
        ),
        ('{{#* inline "who"}}{{name}}!{{/inline}}{{#each people}}{{> who}}{{/each}}', "Ann!Bo!"),
        ('{{#* inline "c"}}{{city}}{{/inline}}{{> c contact}}', "Bengaluru"),
        ("{{lookup contact 'city'}}{{log 'ignored'}}", "Bengaluru"),
        ("{{people.0.tags}} {{flags.on}} {{contact}}", "a,b true [object Object]"),
        ("<b>{{title}}</b> & {{{title}}}", "<b>Team</b> & Team"),
    ],
)
def test_handlebars_renders(source: str, expected: str) -> None:
    assert handlebars.render(source, PEOPLE) == expected


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("{{nobody}}", "nobody"),
        ("{{contact.lastName}}", "contact.lastName"),
        ("{{flags.none}}", "flags.none"),
        ("{{#each people}}{{age}}{{/each}}", "age"),
    ],
)
def test_handlebars_missing_attributes(source: str, name: str) -> None:
    with pytest.raises(handlebars.MissingAttribute) as excinfo:
        handlebars.render(source, PEOPLE)
    assert excinfo.value.name == name


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{#if a}}x", "the block 'if' is never closed"),
        ("x{{/if}}", "{{/if}} closes no block"),
        ("{{#if a}}x{{/each}}", "'if' doesn't match 'each'"),
        ("{{> footer}}", "The partial footer could not be found"),
        ("{{#eq a b}}x{{/eq}}", 'Missing helper: "eq"'),
        ("{{format date}}", 'Missing helper: "format"'),
        ("{{#each}}x{{/each}}", "#each requires exactly one argument"),
        ("{{else}}", "{{else}} closes no block"),
    ],
)
def test_handlebars_syntax_errors(source: str, message: str) -> None:
    with pytest.raises(handlebars.TemplateSyntaxError) as excinfo:
        handlebars.parse(source)
    assert str(excinfo.value) == message


def test_handlebars_partial_recursion_is_refused() -> None:
    with pytest.raises(handlebars.TemplateSyntaxError):
        handlebars.render('{{#* inline "p"}}{{> p}}{{/inline}}{{> p}}', {})
