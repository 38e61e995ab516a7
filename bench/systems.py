"""The systems the benchmark runs, and how each takes part in each workload.

A system knows how to start on a port, when it is ready (its first successful API answer),
how to set up the state a workload needs (through the AWS APIs, as a user would), and which
requests the workload sends to it. A workload a system does not offer is reported as such
with the reason, never approximated with something else.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import wire

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"

DESCRIBE = "DescribeUserPool"
SIGN_UP = "SignUp + mail (default sender)"
SIGN_UP_SES = "SignUp + mail (through SES)"
AUTH = "InitiateAuth (USER_PASSWORD_AUTH)"
SES_V1 = "SES v1 SendEmail"
SES_V2 = "SES v2 SendEmail"
MAILBOX = "List the mailbox"
TOTP = "Sign-in with TOTP MFA (the code's answer)"
TOKEN = "OAuth token (client_credentials)"
PRE_SIGN_UP = "SignUp through a PreSignUp trigger"
EVENT = "SES v2 SendEmail + event to SNS"
LIST_FILTER = "ListUsers with a filter"
FLOOR_INSERT = "floor: one SQLite insert"
FLOOR_READ = "floor: one SQLite read"

WORKLOADS = [
    DESCRIBE,
    SIGN_UP,
    SIGN_UP_SES,
    AUTH,
    SES_V1,
    SES_V2,
    MAILBOX,
    TOTP,
    TOKEN,
    PRE_SIGN_UP,
    EVENT,
    LIST_FILTER,
]
READS = {DESCRIBE, MAILBOX, LIST_FILTER}
# Users a peer gets through its API for the ListUsers workload, at most (poolmail gets the
# mode's full count through its storage code: 100,000 AdminCreateUser calls to each peer
# would take minutes to an hour).
PEER_API_USERS = 10_000

DOMAIN = "bench.example"
SENDER = f"sender@{DOMAIN}"
RECIPIENT = f"someone@{DOMAIN}"
PASSWORD = "Bench-Passw0rd!"
USER = f"bench-user@{DOMAIN}"


class Unsupported(Exception):
    """The system does not offer this workload; the message says why."""


@dataclass
class Plan:
    """What the load generator sends for one workload on one system."""

    requests: list[bytes]
    cycle: bool = True
    note: str = ""
    # Requests for the run at 16 connections, when they must differ from the first run's
    # (distinct users to sign up), or what makes them when that run starts (TOTP answers,
    # whose codes and sessions go stale).
    second: list[bytes] | Callable[[], list[bytes]] | None = None


@dataclass
class Running:
    system: System
    process: subprocess.Popen[bytes]
    endpoint: str
    workdir: Path
    startup_seconds: float
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return int(self.endpoint.rsplit(":", 1)[1])


def _signup_template(endpoint: str, client_id: str) -> wire.Template:
    marker = "u" + "X" * 9
    request = wire.capture(
        "cognito-idp",
        endpoint,
        "sign_up",
        ClientId=client_id,
        Username=f"{marker}@{DOMAIN}",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{marker}@{DOMAIN}"}],
    )
    return wire.Template(request, marker.encode())


def signup_plan(endpoint: str, client_id: str, count: int, note: str = "") -> Plan:
    template = _signup_template(endpoint, client_id)
    return Plan(
        template.fill(wire.numbered("u", 0, count)),
        cycle=False,
        note=note,
        second=template.fill(wire.numbered("u", 10**8, count)),
    )


def describe_plan(endpoint: str, pool_id: str) -> Plan:
    return Plan([wire.capture("cognito-idp", endpoint, "describe_user_pool", UserPoolId=pool_id)])


def auth_plan(endpoint: str, client_id: str, username: str = USER) -> Plan:
    return Plan(
        [
            wire.capture(
                "cognito-idp",
                endpoint,
                "initiate_auth",
                ClientId=client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
            )
        ]
    )


def ses_v1_request(endpoint: str) -> bytes:
    return wire.capture(
        "ses",
        endpoint,
        "send_email",
        Source=SENDER,
        Destination={"ToAddresses": [RECIPIENT]},
        Message={
            "Subject": {"Data": "Benchmark"},
            "Body": {"Text": {"Data": "Hello from the benchmark."}},
        },
    )


def ses_v2_request(endpoint: str, configuration_set: str | None = None) -> bytes:
    extra = {"ConfigurationSetName": configuration_set} if configuration_set else {}
    return wire.capture(
        "sesv2",
        endpoint,
        "send_email",
        **extra,
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [RECIPIENT]},
        Content={
            "Simple": {
                "Subject": {"Data": "Benchmark"},
                "Body": {"Text": {"Data": "Hello from the benchmark."}},
            }
        },
    )


def cognito_setup(endpoint: str, *, auto_verify: bool = True) -> dict[str, Any]:
    """A pool that mails a code on sign-up, an app client allowing password sign-in, and
    one confirmed user with a permanent password."""
    api = wire.client("cognito-idp", endpoint)
    pool = api.create_user_pool(
        PoolName="bench",
        AutoVerifiedAttributes=["email"] if auto_verify else [],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]
    client = api.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="bench",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    created = api.admin_create_user(
        UserPoolId=pool["Id"],
        Username=USER,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": USER}],
    )["User"]
    # Where the pool signs in by email, the username is a generated one (cognito-local).
    username = created.get("Username", USER)
    api.admin_set_user_password(
        UserPoolId=pool["Id"], Username=username, Password=PASSWORD, Permanent=True
    )
    return {"pool_id": pool["Id"], "client_id": client["ClientId"], "username": username}


class System:
    """One system under test. Subclasses say how it starts and what it offers."""

    name = ""
    label = ""
    # A sentence for the report: what this system is and how it ran.
    about = ""
    # Users the ListUsers workload makes through the system's API, at most.
    api_users = PEER_API_USERS

    def available(self) -> str | None:
        """None when installed, else why not (the installer's last words)."""
        return None

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def probe(self, endpoint: str) -> bytes:
        """The API call whose first success marks the end of start-up."""
        return wire.capture("cognito-idp", endpoint, "list_user_pools", MaxResults=1)

    def setup(self, running: Running) -> None:
        """State every workload shares, made once after start."""

    def plan(self, running: Running, workload: str, scale: int) -> Plan:
        raise Unsupported("not offered")

    def fill_mailbox(
        self, running: Running, count: int, send: Callable[[list[bytes]], None]
    ) -> None:
        raise Unsupported("no mailbox")

    def fill_users(self, running: Running, count: int) -> str:
        """Put ``count`` users (`member0000000@...`) in the bench pool for the ListUsers
        workload, through the system's API (at most PEER_API_USERS); the note to report."""
        import flows

        if "pool_id" not in running.state:
            raise Unsupported("no Cognito")
        made = min(count, self.api_users)
        flows.populate_through_api(running.endpoint, running.state["pool_id"], made)
        return f"filter over {made:,} users made through its API"

    def pids(self, running: Running) -> list[int]:
        return [running.process.pid]

    def stopped(self) -> None:
        """Called when the system's process has stopped: stop what it needed beside it."""


@dataclass
class SnsEndpoint:
    """moto's server from the bench's moto venv, as the SNS endpoint of poolmail's SES
    events."""

    process: subprocess.Popen[bytes]
    endpoint: str

    @classmethod
    def start(cls, workdir: Path, python: str) -> SnsEndpoint | None:
        import socket
        import time

        binary = CACHE / "venv-moto" / "bin" / "moto_server"
        if binary.exists():
            command = [str(binary)]
        elif subprocess.run([python, "-c", "import moto.server"], capture_output=True).returncode:
            return None
        else:  # the interpreter running poolmail has moto's server (the test suite's venv)
            command = [python, "-m", "moto.server"]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        log = (workdir / "moto-sns.log").open("wb")
        process = subprocess.Popen(
            [*command, "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                wire.send(wire.plain("GET", endpoint, "/moto-api/"), endpoint, timeout=2)
                return cls(process, endpoint)
            except OSError:
                time.sleep(0.1)
        process.kill()
        return None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _install_log(name: str) -> str | None:
    log = CACHE / f"install-{name}.log"
    if not log.exists():
        return "not installed (run bench/run, which installs it)"
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return "failed to install: " + (lines[-1][:200] if lines else "no output")


class MeasuredOn(System):
    """A variant measured on some workloads only (``MEASURED``, and why: ``WHY``); the
    states of the workloads it leaves out are not made."""

    MEASURED: tuple[str, ...] = ()
    WHY = ""

    def plan(self, running: Running, workload: str, scale: int) -> Plan:
        if workload not in self.MEASURED:
            raise Unsupported(self.WHY)
        return super().plan(running, workload, scale)

    def fill_users(self, running: Running, count: int) -> str:
        return "not measured"

    def fill_mailbox(
        self, running: Running, count: int, send: Callable[[list[bytes]], None]
    ) -> None:
        pass


class Poolmail(System):
    name = "poolmail"
    label = "poolmail"
    about = (
        "`poolmail serve` with SQLite in a fresh --data-dir (its default: WAL, "
        "synchronous=NORMAL: a killed server loses no acknowledged write), SES production "
        "access, quotas and the default sender's cap raised"
    )

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python
        self.sns: SnsEndpoint | None = None

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        import flows

        command = [
            self.python,
            "-m",
            "poolmail",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(workdir / "data"),
            "--ses-sandbox",
            "off",
            "--ses-max-send-rate",
            "1000000",
            "--ses-max-24-hour-send",
            "1000000000",
            "--cognito-default-daily-email-limit",
            "1000000000",
            "--functions",
            flows.functions_file(workdir),
        ]
        # SES events go to SNS: moto's server, a process of its own (its CPU is not
        # poolmail's), when the bench installed it.
        self.sns = SnsEndpoint.start(workdir, self.python)
        if self.sns is not None:
            command += ["--aws-endpoint-url", self.sns.endpoint]
        return command, {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}

    def setup(self, running: Running) -> None:
        endpoint = running.endpoint
        wire.client("ses", endpoint).verify_domain_identity(Domain=DOMAIN)
        wire.json_call(
            endpoint,
            "POST",
            "/_poolmail/ses/identities/verify",
            {"identity": DOMAIN, "account": wire.ACCOUNT, "region": wire.REGION},
        )
        running.state.update(cognito_setup(endpoint))
        # A second pool that mails through the account's SES (EmailSendingAccount DEVELOPER).
        api = wire.client("cognito-idp", endpoint)
        pool = api.create_user_pool(
            PoolName="bench-ses",
            AutoVerifiedAttributes=["email"],
            EmailConfiguration={
                "EmailSendingAccount": "DEVELOPER",
                "SourceArn": f"arn:aws:ses:{wire.REGION}:{wire.ACCOUNT}:identity/{DOMAIN}",
                "From": SENDER,
            },
        )["UserPool"]
        client = api.create_user_pool_client(UserPoolId=pool["Id"], ClientName="bench-ses")
        running.state["ses_client_id"] = client["UserPoolClient"]["ClientId"]

    def plan(self, running: Running, workload: str, scale: int) -> Plan:
        endpoint, state = running.endpoint, running.state
        if workload == DESCRIBE:
            return describe_plan(endpoint, state["pool_id"])
        if workload == SIGN_UP:
            return signup_plan(endpoint, state["client_id"], scale, "code mailed to the mailbox")
        if workload == SIGN_UP_SES:
            return signup_plan(
                endpoint, state["ses_client_id"], scale, "code mailed through the SES engine"
            )
        if workload == AUTH:
            return auth_plan(endpoint, state["client_id"])
        if workload == SES_V1:
            return Plan([ses_v1_request(endpoint)])
        if workload == SES_V2:
            return Plan([ses_v2_request(endpoint)])
        if workload == MAILBOX:
            return Plan([wire.plain("GET", endpoint, "/_aws/ses")], note="GET /_aws/ses")
        return self.new_plan(running, workload, scale)

    def new_plan(self, running: Running, workload: str, scale: int) -> Plan:
        import flows

        endpoint, state = running.endpoint, running.state
        if workload == TOTP:
            return flows.totp_plan(endpoint, state, scale)
        if workload == TOKEN:
            if "oauth_domain" not in state:
                state.update(flows.oauth_setup(endpoint, state["pool_id"]))
            path = f"/_domain/{state['oauth_domain']}/oauth2/token"
            return Plan([flows.token_request(endpoint, state, path)], note="domain path form")
        if workload == PRE_SIGN_UP:
            client_id = flows.trigger_pool(endpoint, flows.PRE_SIGN_UP_ARN)
            return signup_plan(endpoint, client_id, scale, "Python trigger, embedded runner")
        if workload == EVENT:
            if self.sns is None:
                raise Unsupported("moto's server (the SNS endpoint) is not installed")
            name = flows.event_setup(endpoint, self.sns.endpoint)
            return Plan([ses_v2_request(endpoint, name)], note="delivered to moto's SNS")
        if workload == LIST_FILTER:
            return Plan([flows.list_users_request(endpoint, state["pool_id"])], note=state["users"])
        raise Unsupported("not offered")

    def fill_users(self, running: Running, count: int) -> str:
        import flows

        flows.populate_users(running.workdir / "data", running.state["pool_id"], count)
        running.state["users"] = f"filter over {count:,} users"
        return running.state["users"]

    def stopped(self) -> None:
        if self.sns is not None:
            self.sns.stop()
            self.sns = None

    def fill_mailbox(
        self, running: Running, count: int, send: Callable[[list[bytes]], None]
    ) -> None:
        wire.json_call(running.endpoint, "DELETE", "/_aws/ses")
        send([ses_v1_request(running.endpoint)] * count)


class PoolmailInMemory(Poolmail):
    name = "poolmail-memory"
    label = "poolmail :memory:"
    about = (
        "the same with `--data-dir :memory:` (throwaway state, as the in-memory peers keep "
        "theirs; transactions take turns on its one connection)"
    )

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        command, env = super().command(port, workdir)
        command[command.index("--data-dir") + 1] = ":memory:"
        return command, env

    def fill_users(self, running: Running, count: int) -> str:
        # Its state is in the server's memory: users come through the API, as to a peer.
        running.state["users"] = System.fill_users(self, running, count)
        return str(running.state["users"])


class PoolmailSyncFull(Poolmail):
    name = "poolmail-sync-full"
    label = "poolmail --sqlite-sync full"
    about = (
        "the same with `--sqlite-sync full` (every acknowledged write is also on disk before "
        "the answer: an fsync per commit)"
    )

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        command, env = super().command(port, workdir)
        return [*command, "--sqlite-sync", "full"], env


class PoolmailWorkers(MeasuredOn, Poolmail):
    name = "poolmail-workers-2"
    label = "poolmail --workers 2"
    about = (
        "the same with `--workers 2` (two server processes on one listening socket and one "
        "SQLite file, writers taking turns through a lock file); measured on the writes"
    )
    # The reads gain nothing the report needs, and each workload costs the full run time.
    MEASURED = (SIGN_UP, AUTH, SES_V2)
    WHY = "measured on SignUp, InitiateAuth and SES v2 SendEmail only"

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        command, env = super().command(port, workdir)
        return [*command, "--workers", "2"], env

    def pids(self, running: Running) -> list[int]:
        # The workers (the parent only supervises them), so that "the server's own
        # process" figures count them.
        children = Path(f"/proc/{running.process.pid}/task/{running.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return [running.process.pid]


class Moto(System):
    name = "moto"
    label = "moto server"
    about = "moto's server (`moto_server`, Flask/Werkzeug, threaded), state in memory"

    def _bin(self) -> Path:
        return CACHE / "venv-moto" / "bin" / "moto_server"

    def available(self) -> str | None:
        return None if self._bin().exists() else _install_log("moto")

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        return [str(self._bin()), "-H", "127.0.0.1", "-p", str(port)], {}

    def setup(self, running: Running) -> None:
        running.state.update(cognito_setup(running.endpoint))
        wire.client("ses", running.endpoint).verify_email_identity(EmailAddress=SENDER)

    def plan(self, running: Running, workload: str, scale: int) -> Plan:
        endpoint, state = running.endpoint, running.state
        if workload == DESCRIBE:
            return describe_plan(endpoint, state["pool_id"])
        if workload == SIGN_UP:
            return signup_plan(
                endpoint, state["client_id"], scale, "moto delivers no mail: user only"
            )
        if workload == SIGN_UP_SES:
            raise Unsupported("moto sends no Cognito mail, through SES or otherwise")
        if workload == AUTH:
            return auth_plan(endpoint, state["client_id"])
        if workload == SES_V1:
            return Plan([ses_v1_request(endpoint)])
        if workload == SES_V2:
            return Plan([ses_v2_request(endpoint)])
        if workload == TOTP:
            import flows

            return flows.totp_plan(endpoint, state, scale)
        if workload == TOKEN:
            raise Unsupported("no OAuth 2.0 token endpoint")
        if workload == PRE_SIGN_UP:
            raise Unsupported("its Lambda runs functions in Docker containers, absent here")
        if workload == EVENT:
            raise Unsupported("no SES v2 event destinations; v1 ones are stored, never published")
        if workload == LIST_FILTER:
            import flows

            return Plan([flows.list_users_request(endpoint, state["pool_id"])], note=state["users"])
        raise Unsupported("no endpoint lists sent messages")

    def fill_users(self, running: Running, count: int) -> str:
        running.state["users"] = super().fill_users(running, count)
        return str(running.state["users"])


class Ministack(System):
    name = "ministack"
    label = "ministack"
    about = "ministack (Hypercorn ASGI, every service in one process), state in memory"

    def _bin(self) -> Path:
        return CACHE / "venv-ministack" / "bin" / "ministack"

    def available(self) -> str | None:
        return None if self._bin().exists() else _install_log("ministack")

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        env = {
            "GATEWAY_PORT": str(port),
            "BIND_HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "TMPDIR": str(workdir),
            "S3_DATA_DIR": str(workdir / "s3"),
        }
        return [str(self._bin())], env

    def setup(self, running: Running) -> None:
        running.state.update(cognito_setup(running.endpoint))
        wire.client("ses", running.endpoint).verify_email_identity(EmailAddress=SENDER)

    def plan(self, running: Running, workload: str, scale: int) -> Plan:
        endpoint, state = running.endpoint, running.state
        if workload == DESCRIBE:
            return describe_plan(endpoint, state["pool_id"])
        if workload == SIGN_UP:
            return signup_plan(endpoint, state["client_id"], scale, "code logged, not stored")
        if workload == SIGN_UP_SES:
            raise Unsupported("Cognito mail is not sent through its SES")
        if workload == AUTH:
            return auth_plan(endpoint, state["client_id"])
        if workload == SES_V1:
            return Plan([ses_v1_request(endpoint)])
        if workload == SES_V2:
            return Plan([ses_v2_request(endpoint)])
        if workload == MAILBOX:
            path = "/_ministack/ses/messages"
            return Plan([wire.plain("GET", endpoint, path)], note=f"GET {path}")
        import flows

        if workload == TOTP:
            return flows.totp_plan(endpoint, state, scale)
        if workload == TOKEN:
            if "oauth_domain" not in state:
                state.update(flows.oauth_setup(endpoint, state["pool_id"]))
            request = flows.token_request(endpoint, state, "/oauth2/token")
            return Plan([request], note="POST /oauth2/token on its gateway")
        if workload == PRE_SIGN_UP:
            client_id = flows.trigger_pool(endpoint, flows.lambda_function(endpoint))
            return signup_plan(endpoint, client_id, scale, "Python trigger, its own Lambda")
        if workload == EVENT:
            raise Unsupported("stores SES v2 event destinations, publishes no events")
        if workload == LIST_FILTER:
            return Plan([flows.list_users_request(endpoint, state["pool_id"])], note=state["users"])
        raise Unsupported("not offered")

    def fill_users(self, running: Running, count: int) -> str:
        running.state["users"] = super().fill_users(running, count)
        return str(running.state["users"])

    def fill_mailbox(
        self, running: Running, count: int, send: Callable[[list[bytes]], None]
    ) -> None:
        wire.json_call(running.endpoint, "POST", "/_ministack/reset")
        # The reset empties every service: the workloads after this one need their pool.
        running.state.update(cognito_setup(running.endpoint))
        wire.client("ses", running.endpoint).verify_email_identity(EmailAddress=SENDER)
        send([ses_v1_request(running.endpoint)] * count)


class MinistackSigned(MeasuredOn, Ministack):
    name = "ministack-signed"
    label = "ministack + cryptography"
    about = (
        "ministack with `cryptography` installed (what its `full` extra adds for signing): "
        "its tokens are then RS256-signed by the pool's key, as poolmail's are; a plain "
        "install signs them with 32 random bytes, which no JWKS verifies. Measured on the "
        "workloads that answer with tokens"
    )
    MEASURED = (AUTH, TOTP, TOKEN)
    WHY = "measured on the workloads that answer with tokens only"

    def _bin(self) -> Path:
        return CACHE / "venv-ministack-signed" / "bin" / "ministack"

    def available(self) -> str | None:
        return None if self._bin().exists() else _install_log("ministack-signed")


def _node_package(name: str) -> Path:
    return CACHE / "node" / "node_modules" / name


def _node_available(name: str) -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    return None if _node_package(name).exists() else _install_log(name)


class CognitoLocal(System):
    name = "cognito-local"
    label = "cognito-local"
    # It rewrites a pool's whole JSON file on every write: 10,000 users take many minutes.
    api_users = 2_000
    about = "cognito-local (Node.js, Express), state in JSON files under its working directory"

    def available(self) -> str | None:
        return _node_available("cognito-local")

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        start = _node_package("cognito-local") / "lib" / "bin" / "start.js"
        return ["node", str(start)], {"PORT": str(port), "HOST": "127.0.0.1"}

    def setup(self, running: Running) -> None:
        running.state.update(cognito_setup(running.endpoint))

    def plan(self, running: Running, workload: str, scale: int) -> Plan:
        endpoint, state = running.endpoint, running.state
        if workload == DESCRIBE:
            return describe_plan(endpoint, state["pool_id"])
        if workload == SIGN_UP:
            return signup_plan(endpoint, state["client_id"], scale, "code printed to its log")
        if workload == AUTH:
            return auth_plan(endpoint, state["client_id"], state["username"])
        if workload == SIGN_UP_SES:
            raise Unsupported("no SES")
        import flows

        if workload == TOTP:
            return flows.totp_plan(endpoint, state, scale)
        if workload == TOKEN:
            raise Unsupported("no OAuth 2.0 token endpoint")
        if workload == PRE_SIGN_UP:
            raise Unsupported("its triggers call a Lambda service named in its config; none here")
        if workload == LIST_FILTER:
            return Plan([flows.list_users_request(endpoint, state["pool_id"])], note=state["users"])
        raise Unsupported("Cognito only")

    def fill_users(self, running: Running, count: int) -> str:
        running.state["users"] = super().fill_users(running, count)
        return str(running.state["users"])


class SesLocal(System):
    name = "aws-ses-v2-local"
    label = "aws-ses-v2-local"
    about = "aws-ses-v2-local (Node.js, Express), messages in memory"

    def available(self) -> str | None:
        return _node_available("aws-ses-v2-local")

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        cli = _node_package("aws-ses-v2-local") / "dist" / "cli.js"
        return ["node", str(cli), "--host", "127.0.0.1", "--port", str(port)], {}

    def probe(self, endpoint: str) -> bytes:
        # Its GetAccount answers "Account not found" and GetSendQuota never answers.
        return wire.capture("sesv2", endpoint, "list_email_templates")

    def plan(self, running: Running, workload: str, scale: int) -> Plan:
        endpoint = running.endpoint
        if workload == SES_V1:
            return Plan([ses_v1_request(endpoint)], note="no checks: any sender")
        if workload == SES_V2:
            return Plan([ses_v2_request(endpoint)], note="no checks: any sender")
        if workload == MAILBOX:
            return Plan([wire.plain("GET", endpoint, "/store")], note="GET /store")
        raise Unsupported("SES only")

    def fill_mailbox(
        self, running: Running, count: int, send: Callable[[list[bytes]], None]
    ) -> None:
        wire.send(wire.plain("POST", running.endpoint, "/clear-store"), running.endpoint)
        send([ses_v1_request(running.endpoint)] * count)


class Floor(System):
    name = "floor"
    label = "floor app"
    about = (
        "bench/floor_app.py: Starlette on uvicorn (uvloop, httptools), one SQLite statement "
        "per request on the event loop, WAL with synchronous=NORMAL as poolmail"
    )

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python

    def command(self, port: int, workdir: Path) -> tuple[list[str], dict[str, str]]:
        app = BENCH / "floor_app.py"
        return [self.python, str(app), str(port), str(workdir / "floor.sqlite3")], {}

    def probe(self, endpoint: str) -> bytes:
        return wire.plain("GET", endpoint, "/read")

    def plan(self, running: Running, workload: str, scale: int) -> Plan:
        if workload == FLOOR_INSERT:
            body = json.dumps({"name": "x" * 40}).encode()
            return Plan([wire.plain("POST", running.endpoint, "/insert", body)])
        if workload == FLOOR_READ:
            return Plan([wire.plain("GET", running.endpoint, "/read")])
        raise Unsupported("reference only")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (node and hypercorn may fork workers)."""
    found = [pid]
    index = 0
    while index < len(found):
        current = found[index]
        index += 1
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                found += [int(child) for child in children]
        except OSError:
            continue
    return found


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def all_systems(python: str) -> list[System]:
    return [
        Floor(python),
        Poolmail(python),
        PoolmailInMemory(python),
        PoolmailSyncFull(python),
        PoolmailWorkers(python),
        Moto(),
        Ministack(),
        MinistackSigned(),
        CognitoLocal(),
        SesLocal(),
    ]
