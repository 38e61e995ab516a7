"""Managed login branding styles: create with Cognito's defaults or a settings document and
assets, describe by id and by client (with Cognito's defaults merged in on request),
update that keeps what it is not told, delete, and AWS's refusals."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import auth_client, error_of, idp, make_pool
from tests.support.server import ServerProcess

STYLE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
NOT_BOTH = "useCognitoProvidedValues or settings should be specified (but not both)"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
RED_BUTTON = {
    "components": {"primaryButton": {"lightMode": {"defaults": {"backgroundColor": "ff0000ff"}}}}
}


def asset(category: str, mode: str, extension: str, data: bytes) -> dict[str, Any]:
    return {"Category": category, "ColorMode": mode, "Extension": extension, "Bytes": data}


def refusal(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_cognito_defaults_described_merged_and_deleted(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    style = cognito.create_managed_login_branding(
        UserPoolId=pool_id, ClientId=client_id, UseCognitoProvidedValues=True
    )["ManagedLoginBranding"]
    assert STYLE_ID.fullmatch(style["ManagedLoginBrandingId"])
    # No settings of its own: `Settings` is left out, `Assets` is there, empty.
    assert style == {
        "ManagedLoginBrandingId": style["ManagedLoginBrandingId"],
        "UserPoolId": pool_id,
        "UseCognitoProvidedValues": True,
        "Assets": [],
        "CreationDate": style["CreationDate"],
        "LastModifiedDate": style["CreationDate"],
    }
    style_id = style["ManagedLoginBrandingId"]
    described = cognito.describe_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=style_id
    )
    assert described["ManagedLoginBranding"] == style
    by_client = cognito.describe_managed_login_branding_by_client(
        UserPoolId=pool_id, ClientId=client_id
    )
    assert by_client["ManagedLoginBranding"] == style

    # Merged: Cognito's whole default document.
    merged = cognito.describe_managed_login_branding_by_client(
        UserPoolId=pool_id, ClientId=client_id, ReturnMergedResources=True
    )["ManagedLoginBranding"]["Settings"]
    assert set(merged) == {"categories", "componentClasses", "components"}
    primary = merged["components"]["primaryButton"]["lightMode"]["defaults"]
    assert primary == {"backgroundColor": "0972d3ff", "textColor": "ffffffff"}
    assert merged["categories"]["global"]["colorSchemeMode"] == "LIGHT"

    cognito.delete_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id)
    assert refusal(
        cognito.describe_managed_login_branding, UserPoolId=pool_id, ManagedLoginBrandingId=style_id
    ) == ("ResourceNotFoundException", f"Managed login branding {style_id} does not exist.")
    assert refusal(
        cognito.describe_managed_login_branding_by_client, UserPoolId=pool_id, ClientId=client_id
    ) == (
        "ResourceNotFoundException",
        f"Managed login branding does not exist for client {client_id}.",
    )
    assert refusal(
        cognito.delete_managed_login_branding, UserPoolId=pool_id, ManagedLoginBrandingId=style_id
    )[0] == ("ResourceNotFoundException")


def test_settings_and_assets_merge_on_update(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    style = cognito.create_managed_login_branding(
        UserPoolId=pool_id,
        ClientId=client_id,
        Settings=RED_BUTTON,
        Assets=[asset("PAGE_HEADER_LOGO", "LIGHT", "PNG", PNG)],
    )["ManagedLoginBranding"]
    assert style["UseCognitoProvidedValues"] is False
    assert style["Settings"] == RED_BUTTON
    assert style["Assets"] == [asset("PAGE_HEADER_LOGO", "LIGHT", "PNG", PNG)]
    style_id = style["ManagedLoginBrandingId"]

    # Merged with the defaults: the style's value wins, the rest is Cognito's.
    merged = cognito.describe_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=style_id, ReturnMergedResources=True
    )["ManagedLoginBranding"]
    defaults = merged["Settings"]["components"]["primaryButton"]["lightMode"]["defaults"]
    assert defaults == {"backgroundColor": "ff0000ff", "textColor": "ffffffff"}
    assert merged["Settings"]["componentClasses"]["buttons"] == {"borderRadius": 8.0}
    assert merged["Assets"] == style["Assets"]

    # Update keeps what it is not told: settings merge, an asset replaces its
    # category and colour mode's, other assets stay.
    updated = cognito.update_managed_login_branding(
        UserPoolId=pool_id,
        ManagedLoginBrandingId=style_id.upper(),
        Settings={"categories": {"global": {"colorSchemeMode": "DARK"}}},
        Assets=[
            asset("PAGE_HEADER_LOGO", "DARK", "SVG", SVG),
            asset("PAGE_HEADER_LOGO", "LIGHT", "JPEG", b"\xff\xd8\xff"),
        ],
    )["ManagedLoginBranding"]
    assert updated["Settings"] == {
        **RED_BUTTON,
        "categories": {"global": {"colorSchemeMode": "DARK"}},
    }
    assert sorted(updated["Assets"], key=lambda a: a["ColorMode"]) == [
        asset("PAGE_HEADER_LOGO", "DARK", "SVG", SVG),
        asset("PAGE_HEADER_LOGO", "LIGHT", "JPEG", b"\xff\xd8\xff"),
    ]
    assert updated["CreationDate"] == style["CreationDate"]
    assert updated["LastModifiedDate"] >= style["LastModifiedDate"]

    # Back to Cognito's defaults: the style's own values go.
    reverted = cognito.update_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=style_id, UseCognitoProvidedValues=True
    )["ManagedLoginBranding"]
    assert reverted["UseCognitoProvidedValues"] is True
    assert reverted["Assets"] == []
    assert "Settings" not in reverted
    # An asset alone makes it a style of its own again.
    logo = asset("FORM_LOGO", "DYNAMIC", "SVG", SVG)
    again = cognito.update_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=style_id, Assets=[logo]
    )["ManagedLoginBranding"]
    assert (again["UseCognitoProvidedValues"], again["Assets"]) == (False, [logo])


def test_one_style_per_client_and_the_client_must_be_the_pools(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    other_pool = make_pool(live)
    foreign_client = auth_client(live, other_pool)
    create = cognito.create_managed_login_branding
    create(UserPoolId=pool_id, ClientId=client_id, UseCognitoProvidedValues=True)
    assert refusal(
        create, UserPoolId=pool_id, ClientId=client_id, UseCognitoProvidedValues=True
    ) == (
        "ManagedLoginBrandingExistsException",
        f"Managed login branding already exists for client {client_id}.",
    )
    assert refusal(
        create, UserPoolId=pool_id, ClientId=foreign_client, UseCognitoProvidedValues=True
    ) == ("ResourceNotFoundException", f"User pool client {foreign_client} does not exist.")
    assert refusal(
        cognito.describe_managed_login_branding_by_client, UserPoolId=pool_id, ClientId="nope"
    ) == ("ResourceNotFoundException", "User pool client nope does not exist.")

    # A deleted client's style goes with it; a new client gets its own.
    style = cognito.describe_managed_login_branding_by_client(
        UserPoolId=pool_id, ClientId=client_id
    )["ManagedLoginBranding"]
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert refusal(
        cognito.describe_managed_login_branding,
        UserPoolId=pool_id,
        ManagedLoginBrandingId=style["ManagedLoginBrandingId"],
    )[0] == ("ResourceNotFoundException")
    second = auth_client(live, pool_id)
    create(UserPoolId=pool_id, ClientId=second, UseCognitoProvidedValues=True)
    cognito.delete_user_pool(UserPoolId=pool_id)
    assert refusal(
        cognito.describe_managed_login_branding_by_client, UserPoolId=pool_id, ClientId=second
    )[0] == ("ResourceNotFoundException")


def test_defaults_or_settings_but_not_both(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    create = cognito.create_managed_login_branding
    logo = [asset("FORM_LOGO", "LIGHT", "PNG", PNG)]
    for extra in (
        {},
        {"Assets": logo},
        {"UseCognitoProvidedValues": True, "Settings": RED_BUTTON},
        {"UseCognitoProvidedValues": True, "Assets": logo},
    ):
        answer = refusal(create, UserPoolId=pool_id, ClientId=client_id, **extra)
        assert answer == ("InvalidParameterException", NOT_BOTH), extra
    # `false` with settings and assets is how AWS's own examples send a custom style.
    style = create(
        UserPoolId=pool_id,
        ClientId=client_id,
        UseCognitoProvidedValues=False,
        Settings=RED_BUTTON,
        Assets=logo,
    )["ManagedLoginBranding"]
    assert refusal(
        cognito.update_managed_login_branding,
        UserPoolId=pool_id,
        ManagedLoginBrandingId=style["ManagedLoginBrandingId"],
        UseCognitoProvidedValues=True,
        Settings=RED_BUTTON,
    ) == ("InvalidParameterException", NOT_BOTH)
    # UpdateManagedLoginBranding's model requires nothing; AWS needs the ids all the same.
    assert refusal(cognito.update_managed_login_branding, UseCognitoProvidedValues=True) == (
        "InvalidParameterException",
        "1 validation error detected: Value null at 'userPoolId' failed to satisfy "
        "constraint: Member must not be null",
    )
    # A settings document that is no JSON object (AWS: a 500, "Internal server error.").
    assert refusal(
        cognito.update_managed_login_branding,
        UserPoolId=pool_id,
        ManagedLoginBrandingId=style["ManagedLoginBrandingId"],
        Settings="nope",
    ) == ("InvalidParameterException", "Settings must be a JSON object.")


def test_asset_rules_and_the_request_size_limit(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    create = cognito.create_managed_login_branding

    def refused(*assets: dict[str, Any]) -> tuple[str, str]:
        return refusal(
            create, UserPoolId=pool_id, ClientId=client_id, Settings={}, Assets=list(assets)
        )

    assert refused(asset("FAVICON_ICO", "LIGHT", "PNG", PNG)) == (
        "InvalidParameterException",
        "Asset category FAVICON_ICO needs extension ICO, not PNG.",
    )
    code, message = refused(asset("LOGO", "LIGHT", "GIF", PNG))
    assert code == "InvalidParameterException"
    assert "Value 'LOGO' at 'assets.1.member.category' failed to satisfy constraint" in message
    assert "Value 'GIF' at 'assets.1.member.extension' failed to satisfy constraint" in message
    code, message = refused(asset("PAGE_BACKGROUND", "DARK", "PNG", b"\x00" * 1_000_001))
    assert (code, message.split(": ", 1)[0]) == (
        "InvalidParameterException",
        "1 validation error detected",
    )
    assert message.endswith("Member must have length less than or equal to 1000000")
    many = [asset("FORM_LOGO", "LIGHT", "PNG", PNG)] * 41
    assert "Member must have length less than or equal to 40" in refused(*many)[1]
    # Each asset within its 1 MB, the request past AWS's 2 MB.
    big = [asset("PAGE_BACKGROUND", mode, "PNG", b"\x00" * 900_000) for mode in ("LIGHT", "DARK")]
    assert refused(*big) == (
        "InvalidParameterException",
        "The request exceeds the 2 MB size limit; split it into several requests.",
    )
    # Split across requests, as AWS advises, the same assets go in.
    style = create(UserPoolId=pool_id, ClientId=client_id, Settings={}, Assets=big[:1])
    style_id = style["ManagedLoginBranding"]["ManagedLoginBrandingId"]
    updated = cognito.update_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=style_id, Assets=big[1:]
    )["ManagedLoginBranding"]
    assert len(updated["Assets"]) == 2
    assert updated["Settings"] == {}


def test_a_null_asset_is_refused(live: ServerProcess) -> None:
    # SDKs refuse a null list element before sending; AWS refuses one on the wire too
    # (floci-io/floci#2869).
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    answer = httpx.post(
        live.url + "/",
        json={"UserPoolId": pool_id, "ClientId": client_id, "Settings": {}, "Assets": [None]},
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.CreateManagedLoginBranding",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDPOOLMAILTEST/20260101/us-east-1/"
            "cognito-idp/aws4_request, SignedHeaders=host, Signature=00",
        },
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "__type": "InvalidParameterException",
        "message": "Assets must not contain null elements.",
    }


def test_lite_pools_have_no_branding_editor(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live, UserPoolTier="LITE")
    client_id = auth_client(live, pool_id)
    assert refusal(
        cognito.create_managed_login_branding,
        UserPoolId=pool_id,
        ClientId=client_id,
        UseCognitoProvidedValues=True,
    ) == (
        "FeatureUnavailableInTierException",
        "The following features need to be disabled for the LITE pricing tier configured: "
        "Managed login branding editor",
    )
