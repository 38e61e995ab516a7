"""The links of a message, and whether each one's target answers.

Checking is the reader's decision (a button on the message page), never automatic: a
check sends a request to every link, and a link that acts when opened (an unsubscribe,
a verification link) acts. A HEAD request first, a GET only when HEAD is refused;
redirects are reported, not followed, so no further site is asked.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from http.client import HTTPException

TIMEOUT_SECONDS = 3.0
# A message with more links than this has only its first ones checked.
MAX_LINKS = 100
PARALLEL = 16
_TEXT_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+", re.IGNORECASE)
# HEAD refused by a server that answers GET.
_HEAD_REFUSED = (405, 501)


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    kind: str  # "link" (an anchor or a URL in the text) or "image"


@dataclass(frozen=True, slots=True)
class Answer:
    url: str
    status: int | None  # None: nothing answered
    detail: str  # the reason phrase, where a redirect leads, or why nothing answered

    @property
    def verdict(self) -> str:
        if self.status is None:
            return "no-answer"
        if self.status < 300:
            return "ok"
        return "redirect" if self.status < 400 else "broken"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Link] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "").strip() for name, value in attrs}
        if tag in ("a", "area") and values.get("href"):
            self.found.append(Link(values["href"], "link"))
        elif tag == "img" and values.get("src"):
            self.found.append(Link(values["src"], "image"))


def links_of(html: str | None, text: str | None) -> list[Link]:
    """The http(s) links and images of the HTML body, then the URLs of the text body,
    each once, in the order they appear."""
    found: list[Link] = []
    if html:
        parser = _Links()
        parser.feed(html)
        parser.close()
        found += parser.found
    if text:
        found += [Link(url.rstrip(".,;:!?"), "link") for url in _TEXT_URL.findall(text)]
    unique: dict[str, Link] = {}
    for link in found:
        if link.url.lower().startswith(("http://", "https://")):
            unique.setdefault(link.url, link)
    return list(unique.values())[:MAX_LINKS]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        # None makes urllib raise the 3xx as an HTTPError: the answer is the redirect.
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirects())


def check_link(url: str, timeout: float = TIMEOUT_SECONDS) -> Answer:
    """Ask ``url``'s server once (HEAD, then GET if HEAD is refused) and say what it
    answered."""
    opener = _opener()
    answer = _ask(opener, url, "HEAD", timeout)
    if answer.status in _HEAD_REFUSED:
        answer = _ask(opener, url, "GET", timeout)
    return answer


def _ask(opener: urllib.request.OpenerDirector, url: str, method: str, timeout: float) -> Answer:
    request = urllib.request.Request(url, method=method, headers={"User-Agent": "poolmail"})
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(url, response.status, str(response.reason))
    except urllib.error.HTTPError as error:
        location = error.headers.get("Location") if error.headers else None
        detail = f"to {location}" if location and 300 <= error.code < 400 else str(error.reason)
        error.close()
        return Answer(url, error.code, detail)
    except urllib.error.URLError as error:
        return Answer(url, None, str(error.reason))
    except (OSError, HTTPException, ValueError) as error:
        # Timeouts, resets, a malformed URL or status line: nothing usable answered.
        return Answer(url, None, str(error) or type(error).__name__)


def check_links(urls: list[str], timeout: float = TIMEOUT_SECONDS) -> dict[str, Answer]:
    """Every URL checked, a few at a time: a page of links takes about one timeout."""
    if not urls:
        return {}
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(urls))) as pool:
        answers = list(pool.map(lambda url: check_link(url, timeout), urls))
    return {answer.url: answer for answer in answers}
