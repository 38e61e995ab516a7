"""The command-line faces of `integrate` and `doctor`: options, output, exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from poolmail.tools.findings import Finding

# boto3, rich and the tools themselves are imported by the commands that use them, so
# that `poolmail serve` does not load them: they were a fifth of its start-up time.


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="talk to this endpoint instead of AWS, e.g. a poolmail server (env "
        "AWS_ENDPOINT_URL); credentials and region come from the usual boto3 chain",
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


def run_integrate(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.console import Console
    from rich.table import Table

    from poolmail.tools import integrate
    from poolmail.tools.aws import AwsClients
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
        result = integrate.run(AwsClients(endpoint_url=args.endpoint_url), options)
    except (BotoCoreError, ClientError) as error:
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
    from poolmail.tools.aws import AwsClients
    from poolmail.tools.findings import blocking, dumps, render

    findings: list[Finding]
    try:
        findings = doctor.run(
            AwsClients(endpoint_url=args.endpoint_url),
            args.user_pool_id,
            args.recipient,
            args.endpoint_url,
        )
    except (BotoCoreError, ClientError) as error:
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
    from poolmail.tools.findings import dumps

    if args.json:
        print(dumps({"user_pool_id": args.user_pool_id, "error": str(error)}))
    else:
        print(f"poolmail: {error}", file=sys.stderr)
    return 1
