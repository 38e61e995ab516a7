"""The command-line faces of `integrate`, `doctor` and `env`: options, output, exit codes."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from poolmail.tools import env
from poolmail.tools.env import run_env

if TYPE_CHECKING:
    from poolmail.tools.aws import AwsClients
    from poolmail.tools.findings import Finding

__all__ = ["add_commands", "run_doctor", "run_env", "run_integrate"]

# boto3, rich and the tools themselves are imported by the commands that use them, so
# that `poolmail serve` does not load them: they were a fifth of its start-up time.


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # As the AWS CLI v2 reads them; the environment and the config file are read by
    # botocore at the moment a client is made (tools/aws.py), so no default here.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--region",
        help="the AWS region; it must be the user pool's (default: AWS_REGION, "
        "AWS_DEFAULT_REGION, then the profile's region)",
    )
    common.add_argument(
        "--profile",
        help="a profile of the AWS config and credentials files (default: AWS_PROFILE)",
    )
    common.add_argument(
        "--endpoint-url",
        help="send every request to this URL, e.g. a poolmail server (default: "
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, AWS_ENDPOINT_URL_SES, "
        "AWS_ENDPOINT_URL_SESV2, AWS_ENDPOINT_URL, then the profile's services and "
        "endpoint_url settings; AWS itself without any)",
    )
    common.add_argument("--json", action="store_true", help="machine-readable output")

    apply = commands.add_parser(
        "integrate",
        parents=[common],
        help="apply the SES integration to a user pool safely",
        description="Check region mapping, account, verification, sandbox and sending "
        "authorisation; then merge the new EmailConfiguration into the pool's current "
        "settings and update it, keeping every other setting. Exit 0: applied or nothing "
        "to do; 1: refused; 2: usage error.",
    )
    apply.add_argument("--user-pool-id", required=True)
    apply.add_argument(
        "--identity",
        required=True,
        help="the SES identity: an identity ARN, a domain or an address",
    )
    apply.add_argument(
        "--from",
        dest="sender",
        help="From address, `addr` or `Name <addr>` (default: the identity, if an address)",
    )
    apply.add_argument("--reply-to")
    apply.add_argument("--configuration-set")
    apply.add_argument(
        "--email-sending-account", choices=["DEVELOPER", "COGNITO_DEFAULT"], default="DEVELOPER"
    )
    apply.add_argument(
        "--add-policy",
        action="store_true",
        help="with COGNITO_DEFAULT, add the identity policy that lets Cognito send",
    )
    apply.add_argument(
        "--request-production-access",
        action="store_true",
        help="file an SES production-access request when the account is sandboxed",
    )
    apply.add_argument("--website-url", help="for --request-production-access")
    apply.add_argument(
        "--mail-type", choices=["TRANSACTIONAL", "MARKETING"], default="TRANSACTIONAL"
    )
    apply.add_argument("--use-case", help="for --request-production-access")
    apply.add_argument("--dry-run", action="store_true", help="show the changes, apply none")

    check = commands.add_parser(
        "doctor",
        parents=[common],
        help="diagnose why a user pool's mail does not arrive",
        description="Report each finding with its evidence and the command that fixes it. "
        "Exit 0: healthy; 1: a warning or error was found; 2: usage error.",
    )
    check.add_argument("--user-pool-id", required=True)
    check.add_argument("--recipient", help="an address whose mail does not arrive")
    env.add_command(commands)


def _connect(args: argparse.Namespace) -> AwsClients:
    from poolmail.tools.aws import AwsOptions, connect

    return connect(AwsOptions(args.profile, args.region, args.endpoint_url))


def run_integrate(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.console import Console
    from rich.table import Table

    from poolmail.tools import integrate
    from poolmail.tools.aws import ConfigurationProblem
    from poolmail.tools.findings import dumps, render

    options = integrate.IntegrateOptions(
        user_pool_id=args.user_pool_id,
        identity=args.identity,
        sender=args.sender,
        reply_to=args.reply_to,
        configuration_set=args.configuration_set,
        email_sending_account=args.email_sending_account,
        dry_run=args.dry_run,
        add_policy=args.add_policy,
        request_production_access=args.request_production_access,
        website_url=args.website_url,
        mail_type=args.mail_type,
        use_case=args.use_case,
    )
    try:
        result = integrate.run(_connect(args), options)
    except (ConfigurationProblem, BotoCoreError, ClientError) as error:
        return _failed(args, error)
    if args.json:
        print(dumps({"user_pool_id": args.user_pool_id, **result.as_dict()}))
    else:
        console = Console()
        render(console, f"poolmail integrate {args.user_pool_id}", result.steps)
        if result.changes:
            table = Table(title="changes" + (" (dry run)" if args.dry_run else ""))
            for column in ("field", "before", "after"):
                table.add_column(column)
            for change in result.changes:
                table.add_row(change["field"], str(change["before"]), str(change["after"]))
            console.print(table)
    return 1 if result.refused else 0


def run_doctor(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.console import Console

    from poolmail.tools import doctor
    from poolmail.tools.aws import ConfigurationProblem
    from poolmail.tools.findings import blocking, dumps, render

    findings: list[Finding]
    try:
        findings = doctor.run(_connect(args), args.user_pool_id, args.recipient)
    except (ConfigurationProblem, BotoCoreError, ClientError) as error:
        return _failed(args, error)
    healthy = not blocking(findings)
    if args.json:
        print(
            dumps(
                {
                    "user_pool_id": args.user_pool_id,
                    "healthy": healthy,
                    "findings": [finding.as_dict() for finding in findings],
                }
            )
        )
    else:
        render(Console(), f"poolmail doctor {args.user_pool_id}", findings)
    return 0 if healthy else 1


def _failed(args: argparse.Namespace, error: Exception) -> int:
    """A profile, region or credentials that cannot be resolved is a usage error (2), in
    the AWS CLI's words; an AWS error or an unreachable endpoint is a failure (1)."""
    from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError

    from poolmail.tools.aws import ConfigurationProblem, explain
    from poolmail.tools.findings import dumps

    if isinstance(error, ConfigurationProblem | NoCredentialsError | NoRegionError):
        text = explain(error) if isinstance(error, BotoCoreError) else str(error)
        print(f"poolmail: {text}", file=sys.stderr)
        return 2
    if args.json:
        print(dumps({"user_pool_id": args.user_pool_id, "error": str(error)}))
    else:
        print(f"poolmail: {error}", file=sys.stderr)
    return 1
