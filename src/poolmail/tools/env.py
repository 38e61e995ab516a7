"""`poolmail env`: the shell lines that point the AWS SDKs and CLI at a running poolmail.

It sets the service-specific endpoint variables, not AWS_ENDPOINT_URL, so code that also
calls other AWS services (S3, Lambda, ...) keeps reaching AWS for those. Test credentials
and a region are added only to a shell that has chosen none, so a profile in use is never
overridden: botocore's chain reads keys from the environment before any profile.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

# Read by every AWS SDK and both AWS CLI versions; the names are the services' ids
# upper-cased with `_` (botocore configprovider.py, ConfiguredEndpointProvider).
ENDPOINT_VARIABLES = (
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL_SES",
    "AWS_ENDPOINT_URL_SESV2",
)
# The AWS CLI v2 and most SDKs read the first; boto3 and the AWS CLI v1 only the second.
REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")
PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
# poolmail accepts any key unless started with --verify-signatures; a key that is not 12
# digits acts as the default account.
TEST_CREDENTIALS = (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"))
DEFAULT_REGION = "us-east-1"
SHELLS = ("sh", "fish", "powershell")

_HOW_TO_USE = {
    "sh": 'eval "$(poolmail env)"',
    "fish": "poolmail env --shell fish | source",
    "powershell": "poolmail env --shell powershell | Invoke-Expression",
}


class EnvUsageError(ValueError):
    pass


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    env = commands.add_parser(
        "env",
        help="print the shell lines that point the AWS SDKs and CLI at poolmail",
        description="Print AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL_SES "
        "and AWS_ENDPOINT_URL_SESV2 for a running poolmail; test credentials unless "
        "AWS_ACCESS_KEY_ID or AWS_PROFILE is set; AWS_REGION and AWS_DEFAULT_REGION with "
        "--region, or us-east-1 unless a region or AWS_PROFILE is set. Use: "
        'eval "$(poolmail env)".',
    )
    env.add_argument(
        "--endpoint-url",
        help="the server's URL (default: http://POOLMAIL_HOST:POOLMAIL_PORT, "
        "http://127.0.0.1:4747 when they are not set)",
    )
    env.add_argument("--region", help="also set AWS_REGION and AWS_DEFAULT_REGION to this")
    env.add_argument("--shell", choices=SHELLS, default="sh", help="syntax (default: sh)")


def run_env(args: argparse.Namespace) -> int:
    try:
        url = server_url(args.endpoint_url, os.environ)
    except EnvUsageError as problem:
        print(f"poolmail: {problem}", file=sys.stderr)
        return 2
    print(render(variables(url, args.region, os.environ), args.shell))
    return 0


def server_url(given: str | None, environ: Mapping[str, str]) -> str:
    if given is not None:
        parts = urlsplit(given)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise EnvUsageError(f"--endpoint-url must be an http:// or https:// URL, not {given!r}")
        return given.rstrip("/")
    host = environ.get("POOLMAIL_HOST") or "127.0.0.1"
    port = environ.get("POOLMAIL_PORT") or "4747"
    if port == "0":
        raise EnvUsageError(
            "POOLMAIL_PORT is 0 (any free port): pass --endpoint-url with the URL the "
            "server printed"
        )
    # A server listening on every address is reached on loopback.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def variables(url: str, region: str | None, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    pairs = [(name, url) for name in ENDPOINT_VARIABLES]
    profile_chosen = any(environ.get(name) for name in PROFILE_VARIABLES)
    if not profile_chosen and not environ.get("AWS_ACCESS_KEY_ID"):
        pairs.extend(TEST_CREDENTIALS)
    if region:
        pairs.extend((name, region) for name in REGION_VARIABLES)
    elif not profile_chosen and not any(environ.get(name) for name in REGION_VARIABLES):
        pairs.extend((name, DEFAULT_REGION) for name in REGION_VARIABLES)
    return pairs


def render(pairs: list[tuple[str, str]], shell: str) -> str:
    if shell == "fish":
        # `;` too: `eval (poolmail env --shell fish)` joins the lines into one.
        lines = [f"set -gx {name} {_fish_quote(value)};" for name, value in pairs]
    elif shell == "powershell":
        lines = [f"$Env:{name} = '{value.replace(chr(39), chr(39) * 2)}'" for name, value in pairs]
    else:
        lines = [f"export {name}={shlex.quote(value)}" for name, value in pairs]
    lines += ["# Run this command to configure your shell:", f"# {_HOW_TO_USE[shell]}"]
    return "\n".join(lines)


def _fish_quote(value: str) -> str:
    # In fish's single quotes only \\ and \' are escapes.
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
