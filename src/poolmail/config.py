"""Server settings, from command-line options and POOLMAIL_* environment variables."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4747
    data_dir: str = ".poolmail"
    database_url: str | None = None
    account_id: str = DEFAULT_ACCOUNT_ID
    # Region for requests that carry no SigV4 credential scope and name no pool.
    default_region: str = DEFAULT_REGION
