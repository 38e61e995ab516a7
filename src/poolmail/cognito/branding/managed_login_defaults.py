"""Cognito's default managed login style: the settings document a style falls back to for
every option it leaves unchanged (`ReturnMergedResources`), and how styles merge.

The document is the one AWS's own CLI example sends and echoes back for
UpdateManagedLoginBranding (aws/aws-cli `awscli/examples/cognito-idp/
update-managed-login-branding.rst`): the branding editor's Cloudscape palette that a new
style starts from. Its three top-level keys are those the model names for `Settings`
(`categories`, `componentClasses`, `components`); `signUp`, `instructions`,
`sessionTimerDisplay` and `languageSelector` are "reserved for future use" [model] but
present in AWS's document, so they stay. Colours are RRGGBBAA hex, as in AWS's document.
Choice: Cognito's default *assets* (if any) were not found; merged answers add none.
"""

from __future__ import annotations

import copy
from typing import Any


def _modes(light: dict[str, Any], dark: dict[str, Any]) -> dict[str, Any]:
    return {"lightMode": light, "darkMode": dark}


def _colors(**colors: str) -> dict[str, str]:
    return {f"{name}Color": value for name, value in colors.items()}


_ERROR_LIGHT = _colors(background="fff7f7ff", border="d91515ff")
_ERROR_DARK = _colors(background="1a0000ff", border="eb6f6fff")
# The active and hover states that the secondary button and the IdP buttons share.
_SECONDARY_LIGHT = {
    "active": _colors(background="d3e7f9ff", border="033160ff", text="033160ff"),
    "hover": _colors(background="f2f8fdff", border="033160ff", text="033160ff"),
}
_SECONDARY_DARK = {
    "active": _colors(background="354150ff", border="89bdeeff", text="89bdeeff"),
    "hover": _colors(background="192534ff", border="89bdeeff", text="89bdeeff"),
}
_BAR = {"backgroundImage": {"enabled": False}, "logo": {"enabled": False, "location": "START"}}
_BAR_MODES = _modes(
    {"background": {"color": "fafafaff"}, "borderColor": "d5dbdbff"},
    {"background": {"color": "0f141aff"}, "borderColor": "424650ff"},
)

DEFAULT_SETTINGS: dict[str, Any] = {
    "categories": {
        "auth": {
            "authMethodOrder": [
                [
                    {"display": "BUTTON", "type": "FEDERATED"},
                    {"display": "INPUT", "type": "USERNAME_PASSWORD"},
                ]
            ],
            "federation": {"interfaceStyle": "BUTTON_LIST", "order": []},
        },
        "form": {
            "displayGraphics": True,
            "instructions": {"enabled": False},
            "languageSelector": {"enabled": False},
            "location": {"horizontal": "CENTER", "vertical": "CENTER"},
            "sessionTimerDisplay": "NONE",
        },
        "global": {
            "colorSchemeMode": "LIGHT",
            "pageFooter": {"enabled": False},
            "pageHeader": {"enabled": False},
            "spacingDensity": "REGULAR",
        },
        "signUp": {"acceptanceElements": [{"enforcement": "NONE", "textKey": "en"}]},
    },
    "componentClasses": {
        "buttons": {"borderRadius": 8.0},
        "divider": _modes(_colors(border="ebebf0ff"), _colors(border="232b37ff")),
        "dropDown": {
            "borderRadius": 8.0,
            **_modes(
                {
                    "defaults": {"itemBackgroundColor": "ffffffff"},
                    "hover": {
                        "itemBackgroundColor": "f4f4f4ff",
                        "itemBorderColor": "7d8998ff",
                        "itemTextColor": "000716ff",
                    },
                    "match": {"itemBackgroundColor": "414d5cff", "itemTextColor": "0972d3ff"},
                },
                {
                    "defaults": {"itemBackgroundColor": "192534ff"},
                    "hover": {
                        "itemBackgroundColor": "081120ff",
                        "itemBorderColor": "5f6b7aff",
                        "itemTextColor": "e9ebedff",
                    },
                    "match": {"itemBackgroundColor": "d1d5dbff", "itemTextColor": "89bdeeff"},
                },
            ),
        },
        "focusState": _modes(_colors(border="0972d3ff"), _colors(border="539fe5ff")),
        "idpButtons": {"icons": {"enabled": True}},
        "input": {
            "borderRadius": 8.0,
            **_modes(
                {
                    "defaults": _colors(background="ffffffff", border="7d8998ff"),
                    "placeholderColor": "5f6b7aff",
                },
                {
                    "defaults": _colors(background="0f1b2aff", border="5f6b7aff"),
                    "placeholderColor": "8d99a8ff",
                },
            ),
        },
        "inputDescription": _modes(_colors(text="5f6b7aff"), _colors(text="8d99a8ff")),
        "inputLabel": _modes(_colors(text="000716ff"), _colors(text="d1d5dbff")),
        "link": _modes(
            {"defaults": _colors(text="0972d3ff"), "hover": _colors(text="033160ff")},
            {"defaults": _colors(text="539fe5ff"), "hover": _colors(text="89bdeeff")},
        ),
        "optionControls": _modes(
            {
                "defaults": _colors(background="ffffffff", border="7d8998ff"),
                "selected": _colors(background="0972d3ff", foreground="ffffffff"),
            },
            {
                "defaults": _colors(background="0f1b2aff", border="7d8998ff"),
                "selected": _colors(background="539fe5ff", foreground="000716ff"),
            },
        ),
        "statusIndicator": _modes(
            {
                "error": _colors(background="fff7f7ff", border="d91515ff", indicator="d91515ff"),
                "pending": _colors(indicator="AAAAAAAA"),
                "success": _colors(background="f2fcf3ff", border="037f0cff", indicator="037f0cff"),
                "warning": _colors(background="fffce9ff", border="8d6605ff", indicator="8d6605ff"),
            },
            {
                "error": _colors(background="1a0000ff", border="eb6f6fff", indicator="eb6f6fff"),
                "pending": _colors(indicator="AAAAAAAA"),
                "success": _colors(background="001a02ff", border="29ad32ff", indicator="29ad32ff"),
                "warning": _colors(background="1d1906ff", border="e0ca57ff", indicator="e0ca57ff"),
            },
        ),
    },
    "components": {
        "alert": {"borderRadius": 12.0, **_modes({"error": _ERROR_LIGHT}, {"error": _ERROR_DARK})},
        "favicon": {"enabledTypes": ["ICO", "SVG"]},
        "form": {
            "backgroundImage": {"enabled": False},
            "borderRadius": 8.0,
            **_modes(
                _colors(background="ffffffff", border="c6c6cdff"),
                _colors(background="0f1b2aff", border="424650ff"),
            ),
            "logo": {
                "enabled": False,
                "formInclusion": "IN",
                "location": "CENTER",
                "position": "TOP",
            },
        },
        "idpButton": {
            "custom": {},
            "standard": _modes(
                {
                    **_SECONDARY_LIGHT,
                    "defaults": _colors(background="ffffffff", border="424650ff", text="424650ff"),
                },
                {
                    **_SECONDARY_DARK,
                    "defaults": _colors(background="0f1b2aff", border="c6c6cdff", text="c6c6cdff"),
                },
            ),
        },
        "pageBackground": {
            **_modes({"color": "ffffffff"}, {"color": "0f1b2aff"}),
            "image": {"enabled": True},
        },
        "pageFooter": {**_BAR, **_BAR_MODES},
        "pageHeader": {**_BAR, **_BAR_MODES},
        "pageText": _modes(
            _colors(body="414d5cff", description="414d5cff", heading="000716ff"),
            _colors(body="b6bec9ff", description="b6bec9ff", heading="d1d5dbff"),
        ),
        "phoneNumberSelector": {"displayType": "TEXT"},
        "primaryButton": _modes(
            {
                "active": _colors(background="033160ff", text="ffffffff"),
                "defaults": _colors(background="0972d3ff", text="ffffffff"),
                "disabled": _colors(background="ffffffff", border="ffffffff"),
                "hover": _colors(background="033160ff", text="ffffffff"),
            },
            {
                "active": _colors(background="539fe5ff", text="000716ff"),
                "defaults": _colors(background="539fe5ff", text="000716ff"),
                "disabled": _colors(background="ffffffff", border="ffffffff"),
                "hover": _colors(background="89bdeeff", text="000716ff"),
            },
        ),
        "secondaryButton": _modes(
            {
                **_SECONDARY_LIGHT,
                "defaults": _colors(background="ffffffff", border="0972d3ff", text="0972d3ff"),
            },
            {
                **_SECONDARY_DARK,
                "defaults": _colors(background="0f1b2aff", border="539fe5ff", text="539fe5ff"),
            },
        ),
    },
}


def merged(base: Any, changes: Any) -> Any:
    """``changes`` laid over ``base``: objects merge key by key, all else is replaced.

    How AWS keeps "existing style settings that you don't specify" on update [model
    UpdateManagedLoginBranding], and how a style's own values sit on Cognito's defaults.
    """
    if isinstance(base, dict) and isinstance(changes, dict):
        result = {key: copy.deepcopy(value) for key, value in base.items()}
        for key, value in changes.items():
            result[key] = merged(result[key], value) if key in result else copy.deepcopy(value)
        return result
    return copy.deepcopy(changes)


def default_settings() -> dict[str, Any]:
    """A fresh copy of Cognito's default settings document."""
    return copy.deepcopy(DEFAULT_SETTINGS)
