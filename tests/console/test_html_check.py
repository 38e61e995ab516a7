"""The HTML check: each rule on a body that breaks it, none on a body that follows them
all, and the links a message holds (console/html_check.py, console/link_check.py)."""

from __future__ import annotations

import pytest

from poolmail.console.html_check import RULES, check_html
from poolmail.console.link_check import Answer, Link, links_of

GOOD = """<!doctype html>
<html><head><meta charset="utf-8"><title>Welcome</title>
<style>td { padding: 8px; font-family: Arial, sans-serif; }</style></head>
<body><table width="600" style="width:600px;max-width:100%">
<tr><td><img src="https://shop.example.com/logo.png" alt="Shop" width="120"></td></tr>
<tr><td style="background-color:#fff">Your code is <b>482913</b>.
<a href="https://shop.example.com/help">Help</a>
· <a href="mailto:help@shop.example.com">Mail us</a> · <a href="#top">Top</a>
· <img src="cid:logo@shop" alt=""></td></tr></table></body></html>"""


def keys(html: str) -> list[str]:
    return [finding.rule.key for finding in check_html(html)]


def test_a_body_that_follows_the_rules_has_no_findings() -> None:
    assert check_html(GOOD) == []
    assert check_html("Just text, no markup.") == []


@pytest.mark.parametrize(
    ("key", "html"),
    [
        ("script", "<p>Hi</p><script>track()</script>"),
        ("javascript-link", '<a href="javascript:void(0)">Open</a>'),
        ("external-css", '<head><link rel="stylesheet" href="https://x.example/a.css"></head>'),
        ("external-css", "<style>@import url(https://x.example/a.css);</style>"),
        ("style-in-body", "<body><p>Hi</p><style>p { color: red }</style></body>"),
        ("css-position", '<div style="position: absolute; top: 0">Hi</div>'),
        ("css-flex-grid", "<style>.row { display:flex }</style><div class=row>Hi</div>"),
        ("css-flex-grid", '<div style="display: inline-grid">Hi</div>'),
        ("css-background-image", "<td style=\"background: #fff url('bg.png')\">Hi</td>"),
        ("svg", '<svg width="10" height="10"><circle r="4"/></svg>'),
        ("svg", '<img src="https://x.example/logo.svg?v=2" alt="Logo">'),
        ("data-image", '<img src="data:image/png;base64,iVBOR" alt="Logo">'),
        ("form", '<form action="https://x.example"><input name="q"></form>'),
        ("embedded", '<iframe src="https://x.example/video"></iframe>'),
        ("embedded", '<video src="https://x.example/a.mp4"></video>'),
        ("img-alt", '<img src="https://x.example/a.png">'),
        ("too-wide", '<table width="800"><tr><td>Hi</td></tr></table>'),
        ("too-wide", '<div style="width: 720px">Hi</div>'),
        ("too-wide", "<style>.page { min-width:640px }</style>"),
        ("relative-url", '<a href="/account">Your account</a>'),
        ("relative-url", '<img src="images/logo.png" alt="Logo">'),
    ],
)
def test_each_rule_finds_what_it_names(key: str, html: str) -> None:
    assert key in keys(html)
    assert key in RULES


def test_findings_count_and_show_examples() -> None:
    html = "".join(f'<img src="https://x.example/{n}.png">' for n in range(5))
    [finding] = check_html(html)
    assert finding.rule.key == "img-alt"
    assert finding.count == 5
    assert finding.examples == [f'<img src="https://x.example/{n}.png">' for n in range(3)]
    assert finding.rule.why.startswith("Many clients block images")


def test_findings_come_in_the_order_of_the_rules() -> None:
    html = '<img src="a.png"><script>1</script><div style="position:fixed"></div>'
    assert keys(html) == ["script", "css-position", "img-alt", "relative-url"]


def test_style_in_the_head_and_sizes_within_bounds_are_fine() -> None:
    assert keys("<html><head><style>p{width:600px}</style></head><body><p>Hi</p></body>") == []
    assert keys('<table width="100%"><tr><td width="600">Hi</td></tr></table>') == []
    assert keys('<p style="line-height:20px;border-width:900px">Hi</p>') == []


def test_links_of_a_message() -> None:
    html = (
        '<a href="https://shop.example.com/a">A</a><img src="http://cdn.example/l.png" alt="">'
        '<a href="mailto:x@example.com">mail</a><a href="/relative">r</a>'
        '<a href="https://shop.example.com/a">again</a>'
    )
    text = "Open https://shop.example.com/b. Or (https://shop.example.com/c), or ftp://x."
    assert links_of(html, text) == [
        Link("https://shop.example.com/a", "link"),
        Link("http://cdn.example/l.png", "image"),
        Link("https://shop.example.com/b", "link"),
        Link("https://shop.example.com/c", "link"),
    ]
    assert links_of(None, None) == []


def test_answers_read_as_verdicts() -> None:
    assert Answer("u", 200, "OK").verdict == "ok"
    assert Answer("u", 302, "to /x").verdict == "redirect"
    assert Answer("u", 404, "Not Found").verdict == "broken"
    assert Answer("u", None, "Connection refused").verdict == "no-answer"
