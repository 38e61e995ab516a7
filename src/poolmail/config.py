"""Server settings, from command-line options and POOLMAIL_* environment variables.

Defaults are those of a new AWS account; every looser behaviour is an explicit option.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

# SES quotas: a sandboxed account's, and AWS's first production quotas.
SANDBOX_MAX_24_HOUR_SEND = 200
SANDBOX_MAX_SEND_RATE = 1
PRODUCTION_MAX_24_HOUR_SEND = 50000
PRODUCTION_MAX_SEND_RATE = 14


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4747
    # Server processes answering on the port (server/workers.py); 1: this process alone.
    workers: int = 1
    data_dir: str = ".poolmail"
    database_url: str | None = None
    # SQLite's synchronous setting for a state file: "full" or "normal" (see cli.py).
    sqlite_sync: Literal["full", "normal"] = "normal"
    account_id: str = DEFAULT_ACCOUNT_ID
    # Region for requests that carry no SigV4 credential scope and name no pool.
    default_region: str = DEFAULT_REGION
    # SES: "on" starts every account and region in the sandbox, as AWS does.
    ses_sandbox: bool = True
    production_access_review: Literal["manual", "auto"] = "manual"
    # "real": identities verify by link (addresses) and DNS (domains); "auto": at once.
    ses_identity_verification: Literal["real", "auto"] = "real"
    ses_max_24_hour_send: int = PRODUCTION_MAX_24_HOUR_SEND
    ses_max_send_rate: int = PRODUCTION_MAX_SEND_RATE
    # Where domain verification looks up records ("host:port"); None: system resolver.
    dns_server: str | None = None
    # Every delivered message is also handed to this SMTP server ("smtp://host:port").
    relay: str | None = None
    # Accept mail over SMTP on this port, like SES's SMTP interface; None: no listener.
    smtp_port: int | None = None
    # Seconds between background checks of pending domain identities.
    dns_check_interval: float = 2.0
    # Without it, the admin API and console answer loopback clients only.
    admin_token: str | None = None
    # Check SigV4 signatures against these access keys (id -> secret access key).
    verify_signatures: bool = False
    credentials: dict[str, str] = field(default_factory=dict)
    # Cognito's default sender (COGNITO_DEFAULT): messages per account per 24 hours.
    cognito_default_daily_email_limit: int = 50
    # Cognito's API request rates per category (cognito/pools/limits.py): enforced only when on.
    cognito_rate_limits: bool = False
    # Cognito threat protection: a file of breached passwords (one a line) checked
    # besides the built-in list (cognito/threats/breached_passwords.py).
    breached_passwords: str | None = None
    # Other AWS services (DESIGN.md): where logs and events go through boto3; None keeps
    # them local, marked undeliverable. `logs_endpoint_url` overrides it for CloudWatch Logs.
    aws_endpoint_url: str | None = None
    logs_endpoint_url: str | None = None
    # SES event publishing's own endpoints (ses/events), each else `aws_endpoint_url`.
    sns_endpoint_url: str | None = None
    events_endpoint_url: str | None = None
    firehose_endpoint_url: str | None = None
    cloudwatch_endpoint_url: str | None = None
    # Functions (functions/): the `--functions` TOML file the embedded runner runs, and
    # Lambda's own endpoint for any other ARN (else `aws_endpoint_url`).
    functions: str | None = None
    lambda_endpoint_url: str | None = None
    # KMS's own endpoint for custom senders' codes (else `aws_endpoint_url`).
    kms_endpoint_url: str | None = None
    # S3's own endpoint (else `aws_endpoint_url`): SES import and export job files,
    # receipt rules' S3 actions, log deliveries to S3.
    s3_endpoint_url: str | None = None
