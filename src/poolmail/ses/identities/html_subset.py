"""The HTML a custom verification email template may hold: AWS's table of tags and their
attributes (docs.aws.amazon.com/ses/latest/dg/creating-identities.html#send-email-verify-
address-custom-faq, question 5). Anything else makes the content invalid.
"""

from __future__ import annotations

from typing import Any

_COMMON = frozenset({"class", "id", "style", "title"})
_EXTRA: dict[str, frozenset[str]] = {
    "blockquote": frozenset({"cite"}),
    "col": frozenset({"span", "width"}),
    "colgroup": frozenset({"span", "width"}),
    "img": frozenset({"align", "alt", "height", "src", "width"}),
    "ol": frozenset({"start", "type"}),
    "q": frozenset({"cite"}),
    "table": frozenset({"summary", "width"}),
    "td": frozenset({"abbr", "axis", "colspan", "rowspan", "width"}),
    "th": frozenset({"abbr", "axis", "colspan", "rowspan", "scope", "width"}),
    "ul": frozenset({"type"}),
}
_TAGS = [
    "abbr",
    "acronym",
    "address",
    "area",
    "b",
    "bdo",
    "big",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "dfn",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "fieldset",
    "font",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "html",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "map",
    "menu",
    "ol",
    "optgroup",
    "option",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "select",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
]
ALLOWED: dict[str, frozenset[str]] = {tag: _COMMON | _EXTRA.get(tag, frozenset()) for tag in _TAGS}


def content_problem(content: str) -> str | None:
    """Why ``content`` is not allowed, or None. Choice: AWS's wording for a refused tag or
    attribute was not found; this one names it."""
    from html.parser import HTMLParser  # html.parser is a heavy import: at first use

    problems: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            allowed = ALLOWED.get(tag)
            if allowed is None:
                problems.append(f"the tag <{tag}> is not allowed")
                return
            for name, _ in attrs:
                if name not in allowed:
                    problems.append(f"the attribute {name} is not allowed in <{tag}>")

        def handle_decl(self, decl: Any) -> None:
            # <!DOCTYPE html> is no tag: allowed.
            return None

    checker = Checker()
    checker.feed(content)
    checker.close()
    if not problems:
        return None
    return f"Invalid custom verification email template content: {problems[0]}."
