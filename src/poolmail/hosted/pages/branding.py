"""How a client's pages look: the classic hosted UI's CSS and logo (SetUICustomization)
on version 1 domains, the managed login style's colours and logo on version 2 domains.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.branding.managed_login_branding import style_of_client
from poolmail.cognito.branding.managed_login_defaults import default_settings
from poolmail.cognito.branding.ui_customization import customization_for
from poolmail.store import Transaction

# Logo categories of a managed login style, in the order the form's logo is looked for.
_LOGO_CATEGORIES = ("FORM_LOGO", "PAGE_HEADER_LOGO")
_MEDIA_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "SVG": "image/svg+xml",
    "WEBP": "image/webp",
    "ICO": "image/x-icon",
}


@dataclass(frozen=True, slots=True)
class Look:
    """What a page wears: CSS to add after poolmail's own, and a logo (a data: URL)."""

    css: str = ""
    logo: str | None = None


def _style_text(css: str) -> str:
    # Stored CSS goes inside <style>: a closing tag in it must not end the element.
    return css.replace("</", "<\\/")


def _classic(tx: Transaction, pool_id: str, client_id: str) -> Look:
    stored = customization_for(tx, pool_id, client_id)
    if stored is None:
        return Look()
    logo = f"data:image/png;base64,{stored['Image']}" if stored.get("Image") else None
    return Look(_style_text(stored.get("CSS") or ""), logo)


def _color(value: object) -> str | None:
    # Managed login colours are RRGGBBAA hex.
    text = str(value or "")
    ok = len(text) == 8 and all(c in "0123456789abcdefABCDEF" for c in text)
    return f"#{text}" if ok else None


def _get(settings: Any, *path: str) -> object:
    for key in path:
        if not isinstance(settings, dict):
            return None
        settings = settings.get(key)
    return settings


# (CSS variable, path in the style's settings under the light or dark mode)
_VARIABLES = (
    ("--page-background", ("components", "pageBackground", "{mode}", "color")),
    ("--form-background", ("components", "form", "{mode}", "backgroundColor")),
    ("--form-border", ("components", "form", "{mode}", "borderColor")),
    ("--heading", ("components", "pageText", "{mode}", "headingColor")),
    ("--text", ("components", "pageText", "{mode}", "bodyColor")),
    ("--button", ("components", "primaryButton", "{mode}", "defaults", "backgroundColor")),
    ("--button-text", ("components", "primaryButton", "{mode}", "defaults", "textColor")),
    ("--button-hover", ("components", "primaryButton", "{mode}", "hover", "backgroundColor")),
    ("--link", ("componentClasses", "link", "{mode}", "defaults", "textColor")),
    ("--input-border", ("componentClasses", "input", "{mode}", "defaults", "borderColor")),
    ("--error-border", ("components", "alert", "{mode}", "error", "borderColor")),
    ("--error-background", ("components", "alert", "{mode}", "error", "backgroundColor")),
)


def _managed(tx: Transaction, client_id: str) -> Look:
    # Choice: a client without a style wears Cognito's default style, where AWS's pages
    # are "nonfunctional until you create a new style" [model DeleteManagedLoginBranding]:
    # clients created through the API have none, and a local sign-in should still work.
    style = style_of_client(tx, client_id)
    settings = (style or {}).get("Settings") or default_settings()
    dark = _get(settings, "categories", "global", "colorSchemeMode") == "DARK"
    mode = "darkMode" if dark else "lightMode"
    lines = []
    for variable, path in _VARIABLES:
        value = _color(_get(settings, *(part.format(mode=mode) for part in path)))
        if value is not None:
            lines.append(f"{variable}: {value};")
    css = ":root {\n" + "\n".join(lines) + "\n}" if lines else ""
    logo = None
    for category in _LOGO_CATEGORIES:
        for asset in (style or {}).get("Assets") or []:
            if asset.get("Category") == category and asset.get("ColorMode") in (
                "DYNAMIC",
                "DARK" if dark else "LIGHT",
            ):
                media = _MEDIA_TYPES.get(str(asset.get("Extension")), "image/png")
                raw = asset.get("Bytes")
                encoded = raw if isinstance(raw, str) else base64.b64encode(raw or b"").decode()
                logo = f"data:{media};base64,{encoded}"
                break
        if logo is not None:
            break
    return Look(_style_text(css), logo)


def look_of(tx: Transaction, pool_id: str, client_id: str, version: int) -> Look:
    """The look of ``client_id``'s pages on a domain of managed login ``version``."""
    if version == 2:
        return _managed(tx, client_id)
    return _classic(tx, pool_id, client_id)
