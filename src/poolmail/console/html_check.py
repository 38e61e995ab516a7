"""An HTML body checked against what mail clients are known to drop or break: a short
list of rules, each with why it matters. A pure function of the HTML, so it is cheap to
run on every view of a message and simple to test.

The rules follow what caniemail.com records for Gmail, Outlook (Windows, web), Apple Mail
and Yahoo; they are warnings about likely trouble, not a rendering of each client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Wider than this and most clients' reading panes scroll sideways or scale the mail down.
MAX_WIDTH_PX = 600
EXAMPLE_CHARS = 80


@dataclass(frozen=True, slots=True)
class Rule:
    key: str
    title: str
    why: str


RULES: dict[str, Rule] = {
    rule.key: rule
    for rule in (
        Rule(
            "script",
            "<script> element",
            "Every mail client removes scripts; nothing in the message may depend on them.",
        ),
        Rule(
            "javascript-link",
            "javascript: link",
            "Clients remove javascript: URLs or make the link dead; link to a web page.",
        ),
        Rule(
            "external-css",
            "External stylesheet",
            "Gmail, Outlook and most webmail ignore <link rel=stylesheet> and @import: "
            "put styles in a <style> element or inline.",
        ),
        Rule(
            "style-in-body",
            "<style> in the body",
            "Several webmail clients keep <style> only in the <head> (or drop it): move it "
            "there, or inline the styles.",
        ),
        Rule(
            "css-position",
            "CSS position",
            "Gmail and Outlook remove position; a layout that relies on it falls apart.",
        ),
        Rule(
            "css-flex-grid",
            "Flexbox or grid layout",
            "Outlook for Windows (Word's engine) and many older clients ignore display: flex "
            "and grid: lay out with tables.",
        ),
        Rule(
            "css-background-image",
            "CSS background image",
            "Outlook for Windows ignores CSS background images; keep text readable without.",
        ),
        Rule(
            "svg",
            "SVG image",
            "Gmail and Outlook do not show SVG, inline or as an <img>: use PNG or JPEG.",
        ),
        Rule(
            "data-image",
            "Image in a data: URL",
            "Gmail and Outlook block data: images: attach the image and refer to it by "
            "cid:, or host it.",
        ),
        Rule(
            "form",
            "Form or input",
            "Most clients disable forms or warn that the message may be a scam: link to a "
            "web page instead.",
        ),
        Rule(
            "embedded",
            "Embedded content",
            "<iframe>, <object>, <embed>, <video> and <audio> are removed or shown as "
            "nothing by most clients: link to the content, or show an image of it.",
        ),
        Rule(
            "img-alt",
            "Image without alt text",
            "Many clients block images until the reader allows them; meanwhile the alt text "
            "is all anyone sees (and all a screen reader reads).",
        ),
        Rule(
            "too-wide",
            f"Wider than {MAX_WIDTH_PX} px",
            f"Most clients show messages {MAX_WIDTH_PX}-650 px wide; wider content scrolls "
            "sideways, or is scaled down until it is hard to read.",
        ),
        Rule(
            "relative-url",
            "Relative link or image",
            "A mailbox has no base URL: a relative href or src leads nowhere. Use absolute "
            "https:// URLs.",
        ),
    )
}


@dataclass(slots=True)
class Finding:
    rule: Rule
    count: int = 0
    examples: list[str] = field(default_factory=list)


_POSITION = re.compile(r"(?<![\w-])position\s*:\s*(absolute|fixed|relative|sticky)", re.I)
_FLEX_GRID = re.compile(r"display\s*:\s*(inline-)?(flex|grid)\b", re.I)
_BACKGROUND_IMAGE = re.compile(r"background(-image)?\s*:[^;}]*url\(", re.I)
_IMPORT = re.compile(r"@import\b", re.I)
_CSS_WIDTH = re.compile(r"(?<![\w-])(?:min-)?width\s*:\s*(\d+(?:\.\d+)?)px", re.I)
_EMBEDDED = frozenset({"iframe", "object", "embed", "video", "audio"})
_FORM = frozenset({"form", "input", "select", "textarea"})
# Schemes (and fragment links) that need no base URL.
_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#|//)", re.I)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: dict[str, Finding] = {}
        self.in_body = False
        self.in_style = False

    def note(self, key: str, example: str) -> None:
        found = self.findings.setdefault(key, Finding(RULES[key]))
        found.count += 1
        if len(found.examples) < 3:
            example = " ".join(example.split())
            if len(example) > EXAMPLE_CHARS:
                example = example[: EXAMPLE_CHARS - 1] + "…"
            found.examples.append(example)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        shown = self.get_starttag_text() or f"<{tag}>"
        if tag == "body":
            self.in_body = True
        elif tag == "style":
            self.in_style = True
            if self.in_body:
                self.note("style-in-body", shown)
        elif tag == "script":
            self.note("script", shown)
        elif tag == "link" and "stylesheet" in values.get("rel", "").lower():
            self.note("external-css", shown)
        elif tag == "svg":
            self.note("svg", shown)
        elif tag in _FORM:
            self.note("form", shown)
        elif tag in _EMBEDDED:
            self.note("embedded", shown)
        elif tag == "img":
            self._image(values, shown)
        elif tag not in ("html", "head", "meta", "title", "base", "link"):
            # Markup before <body> (or a fragment without one) is the body too.
            self.in_body = True
        href = values.get("href", "").strip()
        if tag == "a" and href.lower().startswith("javascript:"):
            self.note("javascript-link", shown)
        if tag in ("a", "img") and (href or values.get("src")):
            target = href or values.get("src", "").strip()
            if not _ABSOLUTE.match(target):
                self.note("relative-url", shown)
        width = values.get("width", "").strip().removesuffix("px")
        if width.isdigit() and int(width) > MAX_WIDTH_PX:
            self.note("too-wide", shown)
        if "style" in values:
            self._css(values["style"], shown)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self._css(data, None)

    def _image(self, values: dict[str, str], shown: str) -> None:
        source = values.get("src", "").strip()
        if "alt" not in values:
            self.note("img-alt", shown)
        if source.lower().startswith("data:"):
            self.note("data-image", shown)
        if source.lower().split("?")[0].endswith(".svg") or source.lower().startswith(
            "data:image/svg"
        ):
            self.note("svg", shown)

    def _css(self, css: str, shown: str | None) -> None:
        """Note what ``css`` holds; each example is ``shown`` (the tag of a style
        attribute), or the offending declaration of a stylesheet."""
        for pattern, key in (
            (_POSITION, "css-position"),
            (_FLEX_GRID, "css-flex-grid"),
            (_BACKGROUND_IMAGE, "css-background-image"),
            (_IMPORT, "external-css"),
        ):
            for found in pattern.finditer(css):
                self.note(key, shown or found.group())
        for found in _CSS_WIDTH.finditer(css):
            if float(found.group(1)) > MAX_WIDTH_PX:
                self.note("too-wide", shown or found.group())


def check_html(html: str) -> list[Finding]:
    """What in ``html`` mail clients are likely to drop or break, in the order of
    ``RULES``; empty for a body without known trouble."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return [checker.findings[key] for key in RULES if key in checker.findings]
