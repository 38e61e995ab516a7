"""The steps tests otherwise write by hand against poolmail's admin API: wait for a message,
read a user's latest code or link, read texts, verify an identity at once, lift the SES
sandbox, move the clock. Failures say what was looked for and what was there instead."""

from __future__ import annotations

import time
from typing import Any

from poolmail.testing.errors import NotFoundError, WaitTimeoutError
from poolmail.testing.server import Params, PoolmailServer, checked

Filter = str | float | int | None
CursorKey = tuple[str, str, tuple[tuple[str, Filter], ...]]
# The server answers a long poll after 60 s at most; longer waits ask again.
LONGEST_POLL = 60.0
# Every message created after a reset is newer than this (epoch seconds; 0 means "now" to
# the wait endpoints).
BEGINNING = 1.0
# A cursor moves just past the message it returned: created_at has microsecond precision.
PAST = 1e-6
SHOWN = 5


class Poolmail:
    """Helpers bound to one server. `region` is the default of every helper and client."""

    def __init__(self, server: PoolmailServer, *, region: str | None = None) -> None:
        self.server = server
        self.region = region or server.region
        # Per filter: where the next wait starts, past the last message it returned.
        self._cursors: dict[CursorKey, float] = {}

    @property
    def url(self) -> str:
        return self.server.url

    def reset(self) -> None:
        """Empty all state and reset the clock (the `poolmail` fixture does it per test)."""
        self.server.reset()
        self._cursors.clear()

    def client(
        self, service: str, *, region: str | None = None, account: str | None = None, **kwargs: Any
    ) -> Any:
        """A boto3 client bound to the server (`"cognito-idp"`, `"ses"`, `"sesv2"`); a
        12-digit `account` acts as that AWS account; `kwargs` go to `boto3.client`."""
        return self.server.client(service, region=region or self.region, account=account, **kwargs)

    # Mail

    def messages(self, to: str | None = None, **filters: Filter) -> list[dict[str, Any]]:
        """Stored messages, newest first, as summaries (no bodies). Filters: `sender`,
        `kind`, `status`, `account`, `region`, `since`, `until`, `limit`."""
        answer = self.server.call("GET", "/_poolmail/messages", params=_mail(to, filters))
        found: list[dict[str, Any]] = answer["messages"]
        return found

    def latest_message(self, to: str | None = None, **filters: Filter) -> dict[str, Any]:
        """The newest matching message with its `text` and `html` bodies."""
        status, answer = self.server.request(
            "GET", "/_poolmail/messages/latest", params=_mail(to, filters)
        )
        if status == 404:
            raise NotFoundError(
                f"no message{_described(to, filters)} in the mailbox.{self._mailbox()}",
                status=status,
                code="NotFound",
            )
        found: dict[str, Any] = checked("GET /_poolmail/messages/latest", status, answer)
        return found

    def wait_for_message(
        self,
        to: str | None = None,
        *,
        timeout: float = 10.0,
        since: float | None = None,
        **filters: Filter,
    ) -> dict[str, Any]:
        """The newest matching message (with its bodies) that this helper has not returned
        yet, waiting up to `timeout` seconds for one: the first call takes any message
        since the test began, each later call with the same filters only newer ones.
        `since` (server epoch seconds) starts elsewhere. WaitTimeoutError if none comes."""
        key = _key("mail", to, filters)
        start = self._cursors.get(key, BEGINNING) if since is None else max(since, BEGINNING)
        params = {**_mail(to, filters), "since": start}
        message = self._long_poll("/_poolmail/messages/wait", params, timeout)
        if message is None:
            raise WaitTimeoutError(
                f"no message{_described(to, filters)} arrived within {timeout:g} s"
                f"{_after(start)}.{self._mailbox()}",
                status=408,
                code="Timeout",
            )
        self._cursors[key] = float(message["created_at"]) + PAST
        return message

    # Cognito codes and links

    def latest_code(self, pool_id: str, username: str) -> str:
        """The code of the newest Cognito mail or text `username` (or the address or number
        it went to) was sent: sign-up, resent code, temporary password, password reset,
        attribute verification, MFA and sign-in codes."""
        sent = self.latest_cognito_message(pool_id, username)
        if not sent.get("code"):
            raise NotFoundError(
                f"the newest Cognito message to {username} in {pool_id} ({sent['kind']}, "
                f"{sent['message_id']}) has no code; it has a link: {sent.get('link')}",
                code="NoCode",
            )
        return str(sent["code"])

    def latest_link(self, pool_id: str, username: str) -> str:
        """The link of the newest Cognito mail `username` was sent (a pool that verifies by
        link: `VerificationMessageTemplate.DefaultEmailOption` `CONFIRM_WITH_LINK`)."""
        sent = self.latest_cognito_message(pool_id, username)
        if not sent.get("link"):
            raise NotFoundError(
                f"the newest Cognito message to {username} in {pool_id} ({sent['kind']}, "
                f"{sent['message_id']}) has no link; it has a code: {sent.get('code')}",
                code="NoLink",
            )
        return str(sent["link"])

    def latest_cognito_message(self, pool_id: str, username: str) -> dict[str, Any]:
        """`/_poolmail/codes`' answer: `code`, `link`, `kind`, `message_id`, `recipient`,
        `timestamp`, `created_at`, `medium` (`EMAIL` or `SMS`)."""
        params = {"pool_id": pool_id, "username": username}
        status, answer = self.server.request("GET", "/_poolmail/codes", params=params)
        if status == 404:
            raise NotFoundError(
                f"no Cognito mail or text to {username} in {pool_id}."
                f"{self._mailbox()}{self._outbox()}",
                status=status,
                code="NotFound",
            )
        found: dict[str, Any] = checked("GET /_poolmail/codes", status, answer)
        return found

    # SMS

    def sms(self, to: str | None = None, **filters: Filter) -> list[dict[str, Any]]:
        """Texts user pools sent, newest first. Filters: `pool_id`, `username`, `kind`,
        `account`, `region`, `since`, `until`, `limit`."""
        answer = self.server.call("GET", "/_poolmail/sms", params=_texts(to, filters))
        found: list[dict[str, Any]] = answer["messages"]
        return found

    def latest_sms(self, to: str | None = None, **filters: Filter) -> dict[str, Any]:
        """The newest matching text: `text`, `code`, `destination`, `kind`, ..."""
        status, answer = self.server.request(
            "GET", "/_poolmail/sms/latest", params=_texts(to, filters)
        )
        if status == 404:
            raise NotFoundError(
                f"no text{_described(to, filters)} in the SMS outbox.{self._outbox()}",
                status=status,
                code="NotFound",
            )
        found: dict[str, Any] = checked("GET /_poolmail/sms/latest", status, answer)
        return found

    def wait_for_sms(
        self,
        to: str | None = None,
        *,
        timeout: float = 10.0,
        since: float | None = None,
        **filters: Filter,
    ) -> dict[str, Any]:
        """The next matching text this helper has not returned yet, as `wait_for_message`
        does for mail."""
        key = _key("sms", to, filters)
        start = self._cursors.get(key, BEGINNING) if since is None else max(since, BEGINNING)
        params = {**_texts(to, filters), "since": start}
        text = self._long_poll("/_poolmail/sms/wait", params, timeout)
        if text is None:
            raise WaitTimeoutError(
                f"no text{_described(to, filters)} arrived within {timeout:g} s"
                f"{_after(start)}.{self._outbox()}",
                status=408,
                code="Timeout",
            )
        self._cursors[key] = float(text["created_at"]) + PAST
        return text

    # SES

    def verify_identity(
        self, identity: str, *, account: str | None = None, region: str | None = None
    ) -> None:
        """Mark an email address or domain verified at once, creating it through SES
        (`VerifyEmailIdentity` / `VerifyDomainIdentity`) first when it does not exist; the
        verification mail that sends is removed from the mailbox."""
        region = region or self.region
        body = {"identity": identity, "region": region}
        if account is not None:
            body["account"] = account
        status, answer = self.server.request("POST", "/_poolmail/ses/identities/verify", body=body)
        if status != 404:
            checked("POST /_poolmail/ses/identities/verify", status, answer)
            return
        ses = self.client("ses", region=region, account=account)
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
            for mail in self.messages(identity, kind="ses-verification", region=region):
                self.server.call("DELETE", f"/_poolmail/messages/{mail['id']}")
        else:
            ses.verify_domain_identity(Domain=identity)
        self.server.call("POST", "/_poolmail/ses/identities/verify", body=body)

    def grant_production_access(
        self, *, account: str | None = None, region: str | None = None
    ) -> dict[str, Any]:
        """Take an account out of the SES sandbox in a region, as an approved request
        would; the account's sandbox, quotas and use."""
        body: dict[str, Any] = {"region": region or self.region, "production_access": True}
        if account is not None:
            body["account"] = account
        found: dict[str, Any] = self.server.call(
            "POST", "/_poolmail/ses/account/sandbox", body=body
        )
        return found

    # Time

    def now(self) -> float:
        """The server's clock, in epoch seconds."""
        return float(self.server.call("GET", "/_poolmail/clock")["epoch"])

    def advance_clock(self, seconds: float) -> float:
        """Move the server's clock ahead (code expiry, quotas, the 24-hour window) without
        sleeping; the new time in epoch seconds. A reset puts it back."""
        answer = self.server.call("POST", "/_poolmail/clock", body={"advance_seconds": seconds})
        return float(answer["epoch"])

    # Internals

    def _long_poll(self, path: str, params: Params, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(deadline - time.monotonic(), 0.0)
            poll = min(remaining, LONGEST_POLL)
            status, answer = self.server.request(
                "GET", path, params={**params, "timeout": poll}, timeout=poll + 30.0
            )
            if status != 408:
                found: dict[str, Any] = checked(f"GET {path}", status, answer)
                return found
            if time.monotonic() >= deadline:
                return None

    def _mailbox(self) -> str:
        """What the mailbox holds, for an error message."""
        held = self.messages(limit=SHOWN)
        if not held:
            return " The mailbox is empty."
        lines = [_mail_line(message) for message in held]
        return f" The mailbox holds, newest first:{''.join(lines)}"

    def _outbox(self) -> str:
        held = self.sms(limit=SHOWN)
        if not held:
            return " The SMS outbox is empty."
        lines = [
            f"\n  - to {text['destination']} ({text['kind']}): {text['text']!r}" for text in held
        ]
        return f" The SMS outbox holds, newest first:{''.join(lines)}"

    def __repr__(self) -> str:
        return f"Poolmail({self.url!r}, region={self.region!r})"


def _mail(to: str | None, filters: dict[str, Filter]) -> dict[str, Filter]:
    return {"recipient": to, **filters}


def _texts(to: str | None, filters: dict[str, Filter]) -> dict[str, Filter]:
    return {"destination": to, **filters}


def _key(box: str, to: str | None, filters: dict[str, Filter]) -> CursorKey:
    return box, (to or "").lower(), tuple(sorted(filters.items()))


def _described(to: str | None, filters: dict[str, Filter]) -> str:
    parts = [f"to {to}"] if to else []
    parts += [f"{name}={value}" for name, value in filters.items() if value is not None]
    return f" ({', '.join(parts)})" if parts else ""


def _after(start: float) -> str:
    if start <= BEGINNING:
        return " since the state was reset"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start))
    return f" after {stamp}Z (server time)"


def _mail_line(message: dict[str, Any]) -> str:
    recipients = ", ".join(message.get("recipients") or []) or "nobody"
    line = (
        f"\n  - to {recipients}: {message.get('subject')!r} "
        f"({message.get('kind')}, {message.get('status')}"
    )
    error = (message.get("details") or {}).get("error")
    if isinstance(error, dict) and error.get("message"):
        line += f": {error['message']}"
    return line + ")"
