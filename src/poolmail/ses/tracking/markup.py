"""Tracking an HTML body: its `<a href="http(s)://...">` links rewritten and the open
pixel added, every other byte of the markup left as written.

The stdlib parser finds the start tags (so links in comments, scripts or attribute text
are not mistaken for tags); only the `href` value inside each found tag is replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser

NO_TRACK = "ses:no-track"
TAGS = "ses:tags"
# One attribute of a start tag, its value quoted or not (HTML's attribute syntax).
_ATTRIBUTE = re.compile(r"""[\s/]*([^\s/>"'=][^\s/>=]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_TRACKED_SCHEMES = ("http://", "https://")
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Link:
    """A tracked link of the body: where it leads and its `ses:tags`."""

    url: str
    tags: dict[str, list[str]] = field(default_factory=dict)


def link_tags(value: str | None) -> dict[str, list[str]]:
    """`ses:tags="k:v;k2:v2"` as SES's linkTags (`{"k": ["v"], "k2": ["v2"]}`).

    AWS quirk: tags are semicolon-separated name:value pairs on the anchor
    (docs.aws.amazon.com/ses/latest/dg/faqs-metrics.html). Choice: a pair without a
    colon, or with an empty name, is ignored.
    """
    tags: dict[str, list[str]] = {}
    for pair in (value or "").split(";"):
        name, colon, tag_value = pair.partition(":")
        if colon and name.strip():
            tags.setdefault(name.strip(), []).append(tag_value.strip())
    return tags


class _Anchors(HTMLParser):
    """Collects each `<a>` start tag: its offset in the text, its text and attributes."""

    def __init__(self, line_starts: list[int]) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = line_starts
        self.anchors: list[tuple[int, str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        text = self.get_starttag_text()
        if text is None:
            return
        line, column = self.getpos()
        self.anchors.append((self.line_starts[line - 1] + column, text, dict(attrs)))


def _with_href(tag: str, url: str) -> str | None:
    """The start tag ``tag`` with its first href's value replaced by ``url``; None when
    its attributes cannot be read back."""
    position = 2  # after "<a"
    while position < len(tag):
        match = _ATTRIBUTE.match(tag, position)
        if match is None or match.end() == position:
            return None
        if match.group(1).lower() == "href" and match.group(2) is not None:
            start, end = match.span(2)
            return f'{tag[:start]}"{escape(url)}"{tag[end:]}'
        position = match.end()
    return None


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [match.end() for match in re.finditer("\n", text)]
    return starts


def track(
    markup: str,
    *,
    pixel_url: str | None,
    click_url: Callable[[Link], str] | None,
) -> str:
    """``markup`` with each trackable link pointing at ``click_url(link)`` (when given)
    and the open pixel at ``pixel_url`` at the end of the body (when given).

    A link is trackable when its href is http(s) and the anchor has no `ses:no-track`
    attribute (docs: faqs-metrics, "opting out of link tracking").
    """
    pieces: list[str] = []
    done = 0
    if click_url is not None:
        parser = _Anchors(_line_starts(markup))
        parser.feed(markup)
        parser.close()
        for offset, text, attrs in parser.anchors:
            href = (attrs.get("href") or "").strip()
            if NO_TRACK in attrs or not href.lower().startswith(_TRACKED_SCHEMES):
                continue
            if markup[offset : offset + len(text)] != text:  # never rewrite what we misread
                continue
            url = click_url(Link(href, link_tags(attrs.get(TAGS))))
            rewritten = _with_href(text, url)
            if rewritten is None:
                continue
            pieces += [markup[done:offset], rewritten]
            done = offset + len(text)
    pieces.append(markup[done:])
    tracked = "".join(pieces)
    if pixel_url is None:
        return tracked
    # AWS's open pixel: a hidden 1x1 image, the last element of the body.
    pixel = (
        f'<img alt="" src="{escape(pixel_url)}" style="display: none; width: 1px; height: 1px;">'
    )
    ends = list(_BODY_END.finditer(tracked))
    if ends:
        at = ends[-1].start()
        return tracked[:at] + pixel + tracked[at:]
    return tracked + pixel
