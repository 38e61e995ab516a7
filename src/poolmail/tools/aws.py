"""boto3 clients for the tools: the standard credential chain and region, an optional
endpoint (`--endpoint-url` or `AWS_ENDPOINT_URL`), and a seam for tests to stub them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ClientFactory = Callable[[str, str], Any]


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


@dataclass
class AwsClients:
    """Makes one client per service and region, and keeps it."""

    endpoint_url: str | None = None
    make: ClientFactory | None = None
    _made: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._made:
            if self.make is not None:
                self._made[key] = self.make(service, region)
            else:
                self._made[key] = boto3.Session().client(
                    service,
                    region_name=region,
                    endpoint_url=self.endpoint_url,
                    config=Config(retries={"max_attempts": 2, "mode": "standard"}),
                )
        return self._made[key]

    def cognito(self, region: str) -> Any:
        return self.client("cognito-idp", region)

    def ses(self, region: str) -> Any:
        return self.client("ses", region)

    def sesv2(self, region: str) -> Any:
        return self.client("sesv2", region)
