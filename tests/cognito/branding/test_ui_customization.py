"""Classic hosted UI customization: the pool's default (`ALL`) and per-client styles, the
fallback GetUICustomization applies, replacing a style, and the refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, idp, make_client, make_pool
from tests.support.server import ServerProcess

CSS = ".logo-customizable {\n\tmax-width: 60%;\n}\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
VERSION = re.compile(r"\d{14}")


def domain_pool(server: ServerProcess) -> str:
    pool_id = make_pool(server)
    idp(server).create_user_pool_domain(UserPoolId=pool_id, Domain=f"shop-{pool_id[-6:].lower()}")
    return pool_id


def refused(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_pool_default_and_client_override(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = domain_pool(live)
    client_id = make_client(live, pool_id)
    # Nothing applied yet: an empty object.
    assert cognito.get_ui_customization(UserPoolId=pool_id)["UICustomization"] == {}
    assert (
        cognito.get_ui_customization(UserPoolId=pool_id, ClientId=client_id)["UICustomization"]
        == {}
    )

    pool_style = cognito.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=CSS)[
        "UICustomization"
    ]
    assert VERSION.fullmatch(pool_style.pop("CSSVersion"))
    created, modified = pool_style.pop("CreationDate"), pool_style.pop("LastModifiedDate")
    assert created == modified
    assert pool_style == {"UserPoolId": pool_id, "ClientId": "ALL", "CSS": CSS}
    # A client without its own style inherits the pool's, answered as `ALL`.
    inherited = cognito.get_ui_customization(UserPoolId=pool_id, ClientId=client_id)
    assert inherited["UICustomization"]["ClientId"] == "ALL"
    assert inherited["UICustomization"]["CSS"] == CSS

    own = cognito.set_ui_customization(UserPoolId=pool_id, ClientId=client_id, ImageFile=PNG)[
        "UICustomization"
    ]
    assert own["ClientId"] == client_id
    assert "CSS" not in own and "CSSVersion" not in own
    assert re.fullmatch(
        rf"https://shop-[a-z0-9]+\.auth\.us-east-1\.amazoncognito\.com/{pool_id}/{client_id}/"
        r"\d{14}/assets/images/image\.jpg",
        own["ImageUrl"],
    )
    got = cognito.get_ui_customization(UserPoolId=pool_id, ClientId=client_id)["UICustomization"]
    assert got == own
    # Without a client id: the pool's style.
    assert cognito.get_ui_customization(UserPoolId=pool_id)["UICustomization"]["CSS"] == CSS


def test_a_set_replaces_the_style_and_keeps_its_creation_date(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = domain_pool(live)
    first = cognito.set_ui_customization(UserPoolId=pool_id, CSS=CSS, ImageFile=PNG)
    second = cognito.set_ui_customization(UserPoolId=pool_id, CSS=".x{}")["UICustomization"]
    assert second["CSS"] == ".x{}"
    assert "ImageUrl" not in second
    assert second["CreationDate"] == first["UICustomization"]["CreationDate"]
    assert second["LastModifiedDate"] >= second["CreationDate"]
    assert cognito.get_ui_customization(UserPoolId=pool_id)["UICustomization"] == second


def test_refusals(live: ServerProcess) -> None:
    cognito = idp(live)
    bare = make_pool(live)
    assert refused(cognito.set_ui_customization, UserPoolId=bare, CSS=CSS) == (
        "InvalidParameterException",
        "A domain must be associated with this user pool.",
    )
    pool_id = domain_pool(live)
    stranger = make_client(live, make_pool(live))
    for call in (cognito.set_ui_customization, cognito.get_ui_customization):
        assert refused(call, UserPoolId=pool_id, ClientId=stranger) == (
            "ResourceNotFoundException",
            f"User pool client {stranger} does not exist.",
        )
    assert refused(cognito.get_ui_customization, UserPoolId="us-east-1_Missing12") == (
        "ResourceNotFoundException",
        "User pool us-east-1_Missing12 does not exist.",
    )
    code, message = refused(cognito.set_ui_customization, UserPoolId=pool_id, CSS="x" * 131073)
    assert code == "InvalidParameterException"
    assert message.endswith("Member must have length less than or equal to 131072")
    code, message = refused(
        cognito.set_ui_customization, UserPoolId=pool_id, ImageFile=b"x" * 131073
    )
    assert code == "InvalidParameterException"
    assert "at 'imageFile' failed to satisfy constraint" in message
    # CSS and logo together within 135 KB, the logo in base64.
    assert refused(
        cognito.set_ui_customization, UserPoolId=pool_id, CSS=CSS, ImageFile=b"x" * 110_000
    ) == ("InvalidParameterException", "request parameters too large")
    for css in ("@import url(x.css);", "@MEDIA (max-width: 1px) {}", ".a{b:url(javascript:x)}"):
        assert refused(cognito.set_ui_customization, UserPoolId=pool_id, CSS=css) == (
            "InvalidParameterException",
            "CSS must not contain @import, @supports, @page or @media statements, or JavaScript.",
        )
    # Class names outside AWS's list are kept (and ignored by the pages).
    kept = cognito.set_ui_customization(UserPoolId=pool_id, CSS=".mine { color: red; }")
    assert kept["UICustomization"]["CSS"] == ".mine { color: red; }"


def test_a_deleted_client_takes_its_style(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = domain_pool(live)
    client_id = make_client(live, pool_id)
    cognito.set_ui_customization(UserPoolId=pool_id, ClientId=client_id, CSS=CSS)
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert cognito.get_ui_customization(UserPoolId=pool_id)["UICustomization"] == {}
