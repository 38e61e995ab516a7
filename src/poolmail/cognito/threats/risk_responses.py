"""Threat protection's answers: compromised credentials at sign-in, sign-up and password
change; adaptive authentication at sign-in, with the risk level poolmail's admin API set
for the user's next sign-in (with the mails of `risk_notifications`); the IP range lists.

The sign-in hooks (`check_sign_in`, `screen`, `signed_in`) return at once, without a
database read, while the pool's mode is OFF. AUDIT logs what it sees and never acts;
ENFORCED applies the configured actions [model AccountTakeoverActionType,
CompromisedCredentialsRiskConfigurationType]. With no risk configuration ENFORCED takes no
action: "setting the mode to ENFORCED doesn't actually enable enforcement, it can only be
done through" a risk configuration (aws/aws-cdk#17923, a maintainer's review).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.mfa import challenges as mfa_challenges
from poolmail.cognito.mfa import rules
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin.progress import Progress
from poolmail.cognito.threats import breached_passwords
from poolmail.cognito.threats.risk_events import (
    FAIL,
    IN_PROGRESS,
    PASS,
    SIGN_IN,
    Risk,
    mark_compromised,
    new_event,
    note_request,
    request_ip,
    take_compromised,
    update_event,
)
from poolmail.cognito.threats.risk_notifications import Notification
from poolmail.cognito.threats.threat_protection import ENFORCED, active, load_configuration, mode_of
from poolmail.cognito.users.users import (
    RESET_REQUIRED,
    StoredUser,
    find_user,
    save_user,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# AWS's texts, as apps handling them quote them (a React app's Cognito error handling,
# seen in New Relic: "When Adaptive Authentication blocked login attempt"), and an
# InvalidPasswordException an app's tests reproduce for a refused new password.
BLOCKED = "Unable to login because of security reasons."
# The same app's note on this one: "Seen when manually blocking an IP address".
IP_BLOCKED = "Request not allowed due to security reasons."
COMPROMISED_PASSWORD = "Provided password cannot be used for security reasons."
LEVELS = {"low": "Low", "medium": "Medium", "high": "High"}
# cognito_risk_overrides.level once the risk was applied: the event waits for the
# sign-in's end, after an MFA challenge ("mfa") or not ("").
_APPLIED, _MFA_ASKED = "", "mfa"
_PASSWORD_OK = {"ChallengeName": "Password", "ChallengeResponse": "Success"}
_MFA_OK = {"ChallengeName": "Mfa", "ChallengeResponse": "Success"}


# ---- compromised credentials ------------------------------------------------------------


def _compromised_action(
    ctx: RequestContext, config: dict[str, Any], event: str, password: str
) -> str | None:
    """None when the password is not breached or ``event`` is not watched; else the
    action (BLOCK or NO_ACTION). EventFilter "Defaults to all events" [model]."""
    settings = config.get("CompromisedCredentialsRiskConfiguration") or {}
    watched = settings.get("EventFilter") or ["SIGN_IN", "PASSWORD_CHANGE", "SIGN_UP"]
    if event not in watched:
        return None
    if not breached_passwords.is_breached(password, ctx.settings.breached_passwords):
        return None
    return str((settings.get("Actions") or {}).get("EventAction") or "NO_ACTION")


def check_new_password(
    ctx: RequestContext,
    tx: Transaction,
    pool: StoredPool,
    client_id: str | None,
    username: str,
    event: str,
    password: str,
) -> None:
    """SIGN_UP or PASSWORD_CHANGE with a breached password: refused when ENFORCED with
    BLOCK, else noted for the event that follows."""
    if not active(pool):
        return
    action = _compromised_action(ctx, load_configuration(tx, pool.id, client_id), event, password)
    if action is None:
        return
    if action == "BLOCK" and mode_of(pool.settings) == ENFORCED:
        raise AwsError("InvalidPasswordException", COMPROMISED_PASSWORD)
    mark_compromised(pool.id, username)


def check_sign_in(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, user: StoredUser, password: str
) -> None:
    """A correct password that is breached: ENFORCED with BLOCK refuses the sign-in and
    sets the user RESET_REQUIRED ("When Amazon Cognito blocks sign-in for a user, it sets
    the user's UserStatus to RESET_REQUIRED", cognito-user-pool-settings-compromised-
    credentials.html). Only flows that send the password are checked (not SRP: same page)."""
    if not active(pool):
        return
    with ctx.db.transaction(readonly=True) as tx:
        config = load_configuration(tx, pool.id, client.id)
    action = _compromised_action(ctx, config, "SIGN_IN", password)
    if action is None:
        return
    if action != "BLOCK" or mode_of(pool.settings) != ENFORCED:
        mark_compromised(pool.id, user.username)
        return
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        current = find_user(tx, pool, user.username)
        if current is not None:
            current.status = RESET_REQUIRED
            save_user(tx, pool, current, now)
        risk = Risk("Block", None, True)
        new_event(tx, ctx, pool, user.username, SIGN_IN, FAIL, risk, [_PASSWORD_OK])
    raise AwsError("NotAuthorizedException", BLOCKED)


# ---- adaptive authentication ------------------------------------------------------------


def set_next_risk(tx: Transaction, pool: StoredPool, username: str, level: str | None) -> None:
    """The risk level of the user's next sign-in (None: no risk, as before)."""
    tx.execute(
        "DELETE FROM cognito_risk_overrides WHERE pool_id = ? AND username = ?",
        (pool.id, username),
    )
    if level is not None:
        tx.execute(
            "INSERT INTO cognito_risk_overrides (pool_id, username, level, event_id) "
            "VALUES (?, ?, ?, NULL)",
            (pool.id, username, LEVELS[level]),
        )


def note_sign_in(params: dict[str, Any]) -> None:
    """A sign-in request arrives (InitiateAuth, RespondToAuthChallenge and their Admin
    forms): keep the IP address it names for the IP range lists and the events."""
    note_request(params)


def _in_ranges(ranges: list[str] | None) -> bool:
    found = request_ip()
    if not found or not ranges:
        return False
    try:
        address = ipaddress.ip_address(found)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(item, strict=False) for item in ranges)


def _lock(pool_id: str, username: str) -> str:
    return f"poolmail:cognito-risk:{pool_id}:{username}"


def _action(config: dict[str, Any], level: str) -> dict[str, Any] | None:
    actions = (config.get("AccountTakeoverRiskConfiguration") or {}).get("Actions") or {}
    found = actions.get(f"{level}Action")
    return dict(found) if found else None


def _mfa_pool(pool: StoredPool) -> StoredPool:
    # Risk asks for MFA even in a pool whose MFA is OFF: "MFA is possible if the user pool
    # has active MFA methods that the user can set up" [model AccountTakeoverActionType].
    # The MFA step then runs as in an OPTIONAL pool: a user with a factor is asked it.
    if rules.mfa_mode(pool.settings) != rules.OFF:
        return pool
    settings = {**pool.settings, "MfaConfiguration": rules.OPTIONAL}
    return StoredPool(pool.id, pool.name, pool.created, pool.modified, settings)


@dataclass(slots=True)
class _Assessed:
    """What `screen` decided for a sign-in with a risk level set."""

    level: str
    action: str  # BLOCK, MFA_IF_CONFIGURED, MFA_REQUIRED or NO_ACTION
    notify: bool
    config: dict[str, Any]
    event_id: str
    token: str


def _assess(
    tx: Transaction, ctx: RequestContext, pool: StoredPool, client: ClientRecord, user: StoredUser
) -> _Assessed | None:
    """Raise for an always-blocked IP address; None without a risk level to apply; else
    the level's action, with the sign-in's InProgress event logged."""
    config = load_configuration(tx, pool.id, client.id)
    exceptions = config.get("RiskExceptionConfiguration") or {}
    enforced = mode_of(pool.settings) == ENFORCED
    # "An always-block IP address list. Overrides the risk decision and always blocks
    # authentication requests"; on the always-allow list "Risk detection isn't
    # performed" [model RiskExceptionConfigurationType].
    if enforced and _in_ranges(exceptions.get("BlockedIPRangeList")):
        raise _IpBlocked()
    if _in_ranges(exceptions.get("SkippedIPRangeList")):
        return None
    row = tx.fetchone(
        "SELECT level FROM cognito_risk_overrides WHERE pool_id = ? AND username = ?",
        (pool.id, user.username),
    )
    if row is None or str(row[0]) in (_APPLIED, _MFA_ASKED):
        return None
    level = str(row[0])
    action = _action(config, level) if enforced else None
    if action is None:
        # AUDIT, or no action for the level: the risk is logged, nothing done.
        risk = Risk("NoRisk", level, False)
        chosen, notify = "NO_ACTION", False
    else:
        chosen, notify = str(action["EventAction"]), bool(action.get("Notify"))
        risk = Risk("Block" if chosen == "BLOCK" else "AccountTakeover", level, False)
    event_id, token = new_event(
        tx, ctx, pool, user.username, SIGN_IN, IN_PROGRESS, risk, [_PASSWORD_OK]
    )
    _set_state(tx, pool.id, user.username, _APPLIED, event_id)
    return _Assessed(level, chosen, notify, config, event_id, token)


class _IpBlocked(Exception):
    pass


def screen(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> dict[str, Any] | None:
    """Apply threat protection to a sign-in whose first factor passed: raise for a
    blocked IP address or a BLOCK action, return the MFA challenge of MFA_IF_CONFIGURED /
    MFA_REQUIRED, or None to go on. The event it logs, `signed_in` completes."""
    if not active(pool):
        return None
    try:
        with ctx.db.transaction(lock=_lock(pool.id, user.username)) as tx:
            assessed = _assess(tx, ctx, pool, client, user)
    except _IpBlocked:
        with ctx.db.transaction() as tx:
            blocked = Risk("Block", None, False)
            new_event(tx, ctx, pool, user.username, SIGN_IN, FAIL, blocked, [_PASSWORD_OK])
        raise AwsError("NotAuthorizedException", IP_BLOCKED) from None
    if assessed is None:
        return None
    mail = None
    if assessed.notify:
        mail = Notification(ctx, pool, user, assessed.config, assessed.event_id, assessed.token)
    action = assessed.action
    if action in ("MFA_IF_CONFIGURED", "MFA_REQUIRED") and not progress.mfa_done:
        step = mfa_challenges.mfa_step(ctx, _mfa_pool(pool), client, user, progress)
        if step is not None:
            with ctx.db.transaction(lock=_lock(pool.id, user.username)) as tx:
                _set_state(tx, pool.id, user.username, _MFA_ASKED, assessed.event_id)
            if mail is not None:
                mail.send("MfaEmail")
            return step
        if action == "MFA_REQUIRED":
            # "Block the request if a user hasn't set up MFA" [model].
            action = "BLOCK"
    if action == "BLOCK":
        with ctx.db.transaction(lock=_lock(pool.id, user.username)) as tx:
            risk = Risk("Block", assessed.level, False).to_wire()
            update_event(tx, pool.id, assessed.event_id, EventResponse=FAIL, EventRisk=risk)
            _forget(tx, pool.id, user.username)
        if mail is not None:
            mail.send("BlockEmail")
        raise AwsError("NotAuthorizedException", BLOCKED)
    if mail is not None:
        mail.send("NoActionEmail")
    return None


def _set_state(tx: Transaction, pool_id: str, username: str, level: str, event_id: str) -> None:
    tx.execute(
        "UPDATE cognito_risk_overrides SET level = ?, event_id = ? "
        "WHERE pool_id = ? AND username = ?",
        (level, event_id, pool_id, username),
    )


def _forget(tx: Transaction, pool_id: str, username: str) -> None:
    tx.execute(
        "DELETE FROM cognito_risk_overrides WHERE pool_id = ? AND username = ?",
        (pool_id, username),
    )


def signed_in(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> None:
    """Tokens are about to be issued: the sign-in's event passes (the one `screen`
    opened, or a new one)."""
    if not active(pool):
        return
    compromised = take_compromised(pool.id, user.username)
    with ctx.db.transaction(lock=_lock(pool.id, user.username)) as tx:
        row = tx.fetchone(
            "SELECT level, event_id FROM cognito_risk_overrides WHERE pool_id = ? AND username = ?",
            (pool.id, user.username),
        )
        if row is None or row[1] is None or str(row[0]) not in (_APPLIED, _MFA_ASKED):
            risk = Risk("NoRisk", None, compromised)
            new_event(tx, ctx, pool, user.username, SIGN_IN, PASS, risk, [_PASSWORD_OK])
            return
        answers = [_PASSWORD_OK, _MFA_OK] if str(row[0]) == _MFA_ASKED else [_PASSWORD_OK]
        update_event(tx, pool.id, str(row[1]), EventResponse=PASS, ChallengeResponses=answers)
        _forget(tx, pool.id, user.username)


def pool_for_admin(tx: Transaction, pool_id: str) -> StoredPool | None:
    """A pool by id in any account (poolmail's admin API names the pool only)."""
    row = tx.fetchone(
        "SELECT name, created_at, modified_at, data FROM user_pools WHERE id = ?", (pool_id,)
    )
    if row is None:
        return None
    return StoredPool(pool_id, str(row[0]), float(row[1]), float(row[2]), json.loads(row[3]))
