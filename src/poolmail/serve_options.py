"""`poolmail serve`'s options: each with its POOLMAIL_* variable, and the Settings they
make, every bad value refused with a message naming its option."""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

from poolmail.config import (
    DEFAULT_ACCOUNT_ID,
    PRODUCTION_MAX_24_HOUR_SEND,
    PRODUCTION_MAX_SEND_RATE,
    Settings,
)
from poolmail.mail.relay import parse_relay
from poolmail.store import POSTGRES_SCHEMES
from poolmail.store.sqlite import MEMORY

MAX_WORKERS = 64


class UsageError(Exception):
    pass


def _option(
    parser: argparse.ArgumentParser,
    flag: str,
    env: str,
    default: str | None,
    text: str,
    **kwargs: Any,
) -> None:
    """An option whose default comes from its POOLMAIL_* variable, documented as such."""
    shown = "none" if default is None else default
    parser.add_argument(
        flag,
        default=os.environ.get(env, default),
        help=f"{text} (env {env}; default {shown})",
        **kwargs,
    )


def add_serve_options(serve: argparse.ArgumentParser) -> None:
    _option(serve, "--host", "POOLMAIL_HOST", "127.0.0.1", "address to listen on")
    _option(serve, "--port", "POOLMAIL_PORT", "4747", "port to listen on, 0 for any free port")
    _option(
        serve,
        "--workers",
        "POOLMAIL_WORKERS",
        "1",
        "server processes answering on the port, sharing the state (the SQLite file or "
        "PostgreSQL) with quotas kept exact; more than 1 needs a --data-dir or "
        "--database-url (see docs/operations.md)",
    )
    _option(
        serve,
        "--data-dir",
        "POOLMAIL_DATA_DIR",
        ".poolmail",
        "directory of the SQLite state file, or :memory: for throwaway state",
    )
    _option(
        serve,
        "--database-url",
        "POOLMAIL_DATABASE_URL",
        None,
        "postgresql://... to keep state in PostgreSQL, shared by several servers",
    )
    _option(
        serve,
        "--sqlite-sync",
        "POOLMAIL_SQLITE_SYNC",
        "normal",
        "normal: a killed server loses no acknowledged write, a machine that loses power "
        "may lose its last writes (never corrupting the file); full: every acknowledged "
        "write is also on disk before the answer (an fsync per commit, slower writes)",
        choices=["full", "normal"],
    )
    _option(
        serve,
        "--account-id",
        "POOLMAIL_ACCOUNT_ID",
        DEFAULT_ACCOUNT_ID,
        "account of callers whose access key is not a 12-digit account id",
    )
    _option(
        serve,
        "--ses-sandbox",
        "POOLMAIL_SES_SANDBOX",
        "on",
        "on: every account and region starts in the SES sandbox, as on AWS; "
        "off: accounts start with production access",
        choices=["on", "off"],
    )
    _option(
        serve,
        "--production-access-review",
        "POOLMAIL_PRODUCTION_ACCESS_REVIEW",
        "manual",
        "manual: a production-access request waits for an operator's grant or deny, as "
        "AWS Support reviews it; auto: granted at once",
        choices=["manual", "auto"],
    )
    _option(
        serve,
        "--ses-identity-verification",
        "POOLMAIL_SES_IDENTITY_VERIFICATION",
        "real",
        "real: addresses verify by the mailed link and domains by their DNS records, as on "
        "AWS; auto: new identities are verified at once (as moto and LocalStack do)",
        choices=["real", "auto"],
    )
    _option(
        serve,
        "--ses-max-24-hour-send",
        "POOLMAIL_SES_MAX_24_HOUR_SEND",
        str(PRODUCTION_MAX_24_HOUR_SEND),
        "recipients per rolling 24 hours once production access is granted (sandbox: 200)",
    )
    _option(
        serve,
        "--ses-max-send-rate",
        "POOLMAIL_SES_MAX_SEND_RATE",
        str(PRODUCTION_MAX_SEND_RATE),
        "recipients per second once production access is granted (sandbox: 1)",
    )
    _option(
        serve,
        "--cognito-default-daily-email-limit",
        "POOLMAIL_COGNITO_DEFAULT_DAILY_EMAIL_LIMIT",
        "50",
        "messages Cognito's default sender (COGNITO_DEFAULT) sends per account per 24 hours",
    )
    _option(
        serve,
        "--cognito-rate-limits",
        "POOLMAIL_COGNITO_RATE_LIMITS",
        "off",
        "on: Cognito operations are throttled per category at AWS's request rates (or the "
        "provisioned ones), answering TooManyRequestsException, as on AWS; off: never "
        "throttled",
        choices=["on", "off"],
    )
    _option(
        serve,
        "--dns-server",
        "POOLMAIL_DNS_SERVER",
        None,
        "HOST:PORT of the DNS server domain verification asks (default: the system "
        "resolver); poolmail's local zone is always consulted too",
    )
    _option(
        serve,
        "--relay",
        "POOLMAIL_RELAY",
        None,
        "smtp://HOST:PORT: also hand every delivered message to this SMTP server",
    )
    _option(
        serve,
        "--smtp-port",
        "POOLMAIL_SMTP_PORT",
        None,
        "accept mail over SMTP on this port, like SES's SMTP interface (default: no listener)",
    )
    serve.add_argument(
        "--verify-signatures",
        action="store_true",
        default=os.environ.get("POOLMAIL_VERIFY_SIGNATURES", "") in ("1", "true", "on"),
        help="check SigV4 signatures against --credentials, as AWS does; Cognito's public "
        "operations may still come unsigned (env POOLMAIL_VERIFY_SIGNATURES=1; default off)",
    )
    _option(
        serve,
        "--credentials",
        "POOLMAIL_CREDENTIALS",
        None,
        "access keys the server accepts with --verify-signatures: KEY_ID:SECRET[,KEY_ID:SECRET...]",
    )
    _option(
        serve,
        "--admin-token",
        "POOLMAIL_ADMIN_TOKEN",
        None,
        "let clients beyond loopback use poolmail's admin API and console with this token "
        "(X-Poolmail-Token header, Bearer authorization or the poolmail_token cookie); "
        "without it they answer loopback clients only",
    )
    _option(
        serve,
        "--breached-passwords",
        "POOLMAIL_BREACHED_PASSWORDS",
        None,
        "file of breached passwords, one a line, that Cognito threat protection's "
        "compromised-credentials check refuses besides its built-in list",
    )
    _option(
        serve,
        "--aws-endpoint-url",
        "POOLMAIL_AWS_ENDPOINT_URL",
        None,
        "URL of the engine that serves other AWS services (CloudWatch Logs, S3, Firehose: "
        "LocalStack, moto's server, or real AWS) for the logs poolmail delivers; without "
        "it they stay local, marked undeliverable",
    )
    _option(
        serve,
        "--logs-endpoint-url",
        "POOLMAIL_LOGS_ENDPOINT_URL",
        None,
        "CloudWatch Logs' own endpoint URL, instead of --aws-endpoint-url",
    )
    for service, what in (
        ("sns", "SNS's"),
        ("events", "EventBridge's"),
        ("firehose", "Firehose's"),
        ("cloudwatch", "CloudWatch's (metrics)"),
    ):
        _option(
            serve,
            f"--{service}-endpoint-url",
            f"POOLMAIL_{service.upper()}_ENDPOINT_URL",
            None,
            f"{what} own endpoint URL for SES event publishing, instead of --aws-endpoint-url",
        )
    _option(
        serve,
        "--functions",
        "POOLMAIL_FUNCTIONS",
        None,
        "TOML file naming the functions (Lambda triggers) poolmail runs itself, in warm "
        "python3/node workers; see docs/functions.md",
    )
    _option(
        serve,
        "--lambda-endpoint-url",
        "POOLMAIL_LAMBDA_ENDPOINT_URL",
        None,
        "Lambda's Invoke API for functions not named in --functions (sam local "
        "start-lambda, LocalStack, real AWS), instead of --aws-endpoint-url",
    )
    _option(
        serve,
        "--kms-endpoint-url",
        "POOLMAIL_KMS_ENDPOINT_URL",
        None,
        "KMS's own endpoint URL, which encrypts the codes custom sender functions get, "
        "instead of --aws-endpoint-url",
    )
    _option(
        serve,
        "--s3-endpoint-url",
        "POOLMAIL_S3_ENDPOINT_URL",
        None,
        "S3's own endpoint URL, for SES import and export job files, receipt rules' S3 "
        "actions and log deliveries to S3, instead of --aws-endpoint-url",
    )
    _option(
        serve,
        "--log-level",
        "POOLMAIL_LOG_LEVEL",
        "warning",
        "server log level",
        choices=["critical", "error", "warning", "info", "debug"],
    )


def _integer(value: str, flag: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise UsageError(f"{flag} {value} is not a whole number") from None
    if not low <= number <= high:
        raise UsageError(f"{flag} {value} is not between {low} and {high}")
    return number


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from parsed options; a bad value raises UsageError naming the option."""
    port = _integer(str(args.port), "--port", 0, 65535)
    workers = _integer(str(args.workers), "--workers", 1, MAX_WORKERS)
    if workers > 1 and args.database_url is None and args.data_dir == MEMORY:
        raise UsageError(
            "--workers needs state its processes share: --data-dir :memory: is one "
            "process's; give a directory or a --database-url"
        )
    if not re.fullmatch(r"\d{12}", args.account_id):
        raise UsageError(f"--account-id must be 12 digits, not {args.account_id!r}")
    if args.database_url is not None and not args.database_url.startswith(POSTGRES_SCHEMES):
        raise UsageError("--database-url must be a postgresql:// URL")
    if args.dns_server is not None and not re.fullmatch(r"[^\s:]+:\d{1,5}", args.dns_server):
        raise UsageError(f"--dns-server must be HOST:PORT, not {args.dns_server!r}")
    if args.relay is not None:
        try:
            parse_relay(args.relay)
        except ValueError:
            raise UsageError(f"--relay must be smtp://HOST:PORT, not {args.relay!r}") from None
    credentials = _credentials(args.credentials)
    if args.verify_signatures and not credentials:
        raise UsageError("--verify-signatures needs --credentials KEY_ID:SECRET")
    smtp_port = None
    if args.smtp_port is not None:
        smtp_port = _integer(str(args.smtp_port), "--smtp-port", 1, 65535)
    return Settings(
        host=args.host,
        port=port,
        workers=workers,
        data_dir=args.data_dir,
        database_url=args.database_url,
        sqlite_sync=args.sqlite_sync,
        account_id=args.account_id,
        ses_sandbox=args.ses_sandbox == "on",
        production_access_review=args.production_access_review,
        ses_identity_verification=args.ses_identity_verification,
        ses_max_24_hour_send=_integer(
            str(args.ses_max_24_hour_send), "--ses-max-24-hour-send", 1, 10**9
        ),
        ses_max_send_rate=_integer(str(args.ses_max_send_rate), "--ses-max-send-rate", 1, 10**6),
        cognito_rate_limits=args.cognito_rate_limits == "on",
        cognito_default_daily_email_limit=_integer(
            str(args.cognito_default_daily_email_limit),
            "--cognito-default-daily-email-limit",
            0,
            10**9,
        ),
        dns_server=args.dns_server,
        relay=args.relay,
        smtp_port=smtp_port,
        verify_signatures=args.verify_signatures,
        credentials=credentials,
        admin_token=args.admin_token or None,
        breached_passwords=args.breached_passwords or None,
        aws_endpoint_url=_endpoint(args.aws_endpoint_url, "--aws-endpoint-url"),
        logs_endpoint_url=_endpoint(args.logs_endpoint_url, "--logs-endpoint-url"),
        sns_endpoint_url=_endpoint(args.sns_endpoint_url, "--sns-endpoint-url"),
        events_endpoint_url=_endpoint(args.events_endpoint_url, "--events-endpoint-url"),
        firehose_endpoint_url=_endpoint(args.firehose_endpoint_url, "--firehose-endpoint-url"),
        cloudwatch_endpoint_url=_endpoint(
            args.cloudwatch_endpoint_url, "--cloudwatch-endpoint-url"
        ),
        functions=_functions(args.functions),
        lambda_endpoint_url=_endpoint(args.lambda_endpoint_url, "--lambda-endpoint-url"),
        kms_endpoint_url=_endpoint(args.kms_endpoint_url, "--kms-endpoint-url"),
        s3_endpoint_url=_endpoint(args.s3_endpoint_url, "--s3-endpoint-url"),
    )


def _functions(path: str | None) -> str | None:
    """The --functions file, checked now so that a mistake stops the start."""
    if not path:
        return None
    from poolmail.functions.config import FunctionsConfigError, load_functions, missing_program

    try:
        specs = load_functions(path)
    except FunctionsConfigError as problem:
        raise UsageError(f"--functions {problem}") from None
    for spec in specs.values():
        program = missing_program(spec)
        if program is not None:
            raise UsageError(
                f"--functions {path}: functions.{spec.name}.runtime: {spec.runtime} "
                f"needs {program} on PATH"
            )
    return os.path.abspath(path)


def _endpoint(value: str | None, flag: str) -> str | None:
    if not value:
        return None
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise UsageError(f"{flag} must be an http:// or https:// URL, not {value!r}")
    return value.rstrip("/")


def _credentials(text: str | None) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for entry in (text or "").split(","):
        if not entry.strip():
            continue
        key, colon, secret = entry.strip().partition(":")
        if not colon or not key or not secret:
            raise UsageError(f"--credentials wants KEY_ID:SECRET, not {entry.strip()!r}")
        pairs[key] = secret
    return pairs
