"""What every operation receives besides its input: who calls, where, and the state."""

from __future__ import annotations

from dataclasses import dataclass

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.store import Database


@dataclass(slots=True)
class RequestContext:
    service: str
    operation: str
    account_id: str
    region: str
    request_id: str
    # False for Cognito's public operations sent unsigned by browser SDKs: the account
    # and region then come from the pool or app client the request names.
    signed: bool
    db: Database
    clock: Clock
    settings: Settings
    # The URL this server was reached at (`http://127.0.0.1:4747`), for links it mails.
    base_url: str = ""
    # The caller's User-Agent: Lambda trigger events derive `callerContext.awsSdkVersion`
    # from it (cognito/triggers).
    user_agent: str = ""
    # The caller's IP address: SES event records tag mail with it (`ses:source-ip`).
    source_ip: str = ""
