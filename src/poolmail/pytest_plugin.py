"""poolmail's pytest plugin (entry point `pytest11`), loaded wherever poolmail is installed.

Fixtures: `poolmail_server` (one server per session, so one per xdist worker),
`poolmail` (state reset before each test, with helpers), `poolmail_env` (the AWS SDK
environment pointed at the server). Nothing starts unless a test asks for one of them, and
importing this module loads nothing beyond pytest: see docs/pytest-plugin.md.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from poolmail.testing import Poolmail, PoolmailServer

DEFAULT_REGION = "us-east-1"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("poolmail", "poolmail (local Cognito user pools and SES)")
    group.addoption(
        "--poolmail-url",
        dest="poolmail_url",
        metavar="URL",
        help="use the poolmail server at URL instead of starting one (ini: poolmail_url)",
    )
    group.addoption(
        "--poolmail-arg",
        dest="poolmail_arg",
        action="append",
        default=[],
        metavar="ARGS",
        help="extra `poolmail serve` arguments for the server the plugin starts, split as a "
        "shell would; repeatable: --poolmail-arg='--ses-sandbox off' (ini: poolmail_args)",
    )
    group.addoption(
        "--poolmail-admin-token",
        dest="poolmail_admin_token",
        metavar="TOKEN",
        help="the server's --admin-token, sent with admin calls (ini: poolmail_admin_token)",
    )
    parser.addini("poolmail_url", "use the poolmail server at this URL", default="")
    parser.addini("poolmail_args", "extra `poolmail serve` arguments", type="args", default=[])
    parser.addini("poolmail_admin_token", "the server's --admin-token", default="")
    parser.addini(
        "poolmail_region", "default region of clients, helpers and poolmail_env", default=""
    )
    parser.addini("poolmail_start_timeout", "seconds to wait for the server to start", default="20")
    parser.addini(
        "poolmail_env_autouse",
        "give every test poolmail_env (and so a reset server)",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getini("poolmail_env_autouse"):
        config.pluginmanager.register(_EnvForEveryTest(), "poolmail-env-autouse")


class _EnvForEveryTest:
    """Registered only when `poolmail_env_autouse` is on: no cost otherwise."""

    @pytest.fixture(autouse=True)
    def _poolmail_env_autouse(self, poolmail_env: Poolmail) -> None:
        return None


@dataclass(frozen=True)
class Options:
    url: str | None
    args: list[str]
    admin_token: str | None
    region: str
    start_timeout: float

    @classmethod
    def of(cls, config: pytest.Config) -> Options:
        args = [str(arg) for arg in config.getini("poolmail_args")]
        for given in config.getoption("poolmail_arg") or []:
            args += shlex.split(given)
        timeout = str(config.getini("poolmail_start_timeout"))
        try:
            start_timeout = float(timeout)
        except ValueError:
            raise pytest.UsageError(
                f"poolmail_start_timeout: {timeout!r} is not a number"
            ) from None
        return cls(
            url=config.getoption("poolmail_url") or str(config.getini("poolmail_url")) or None,
            args=args,
            admin_token=config.getoption("poolmail_admin_token")
            or str(config.getini("poolmail_admin_token"))
            or None,
            region=str(config.getini("poolmail_region")) or DEFAULT_REGION,
            start_timeout=start_timeout,
        )


@pytest.fixture(scope="session")
def poolmail_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PoolmailServer]:
    """One poolmail server for the session: started on a free loopback port with its state
    under the session's temporary directory (each xdist worker is a session of its own, so
    each gets its own server), stopped at the end; or the one `--poolmail-url` names."""
    from poolmail.testing import PoolmailServer

    options = Options.of(request.config)
    if options.url is not None:
        workers = int(getattr(request.config, "workerinput", {}).get("workercount", 1))
        if workers > 1:
            pytest.fail(
                f"--poolmail-url {options.url}: {workers} xdist workers would share one server "
                "and reset it under each other's tests. Leave the URL out (each worker then "
                "starts its own server) or run without -n.",
                pytrace=False,
            )
        yield PoolmailServer.connect(
            options.url, admin_token=options.admin_token, region=options.region
        )
        return
    server = PoolmailServer.start(
        tmp_path_factory.mktemp("poolmail"),
        options.args,
        timeout=options.start_timeout,
        admin_token=options.admin_token,
        region=options.region,
    )
    yield server
    server.stop()


@pytest.fixture
def poolmail(poolmail_server: PoolmailServer) -> Poolmail:
    """The server with all state emptied and its clock reset, and the test's helpers:
    `client()`, `wait_for_message()`, `latest_code()`, `verify_identity()`, ..."""
    from poolmail.testing import Poolmail

    helper = Poolmail(poolmail_server)
    helper.reset()
    return helper


@pytest.fixture
def poolmail_env(poolmail: Poolmail, monkeypatch: pytest.MonkeyPatch) -> Poolmail:
    """`poolmail`, with the environment set so that SDK clients the code under test makes
    itself (`boto3.client("cognito-idp")`) reach the server: `AWS_ENDPOINT_URL_*` for
    Cognito user pools, SES and SES v2, test credentials, and the region when none is set
    (the helpers' default region follows the one set). Undone after the test."""
    from poolmail.testing.environment import CLEARED_VARIABLES, region_in, sdk_environment

    poolmail.region = region_in(os.environ, poolmail.region)
    for name in CLEARED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in sdk_environment(poolmail.url, poolmail.region).items():
        monkeypatch.setenv(name, value)
    return poolmail
