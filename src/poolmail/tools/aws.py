"""botocore clients for the tools, configured as the AWS CLI v2 configures its own.

`--profile`, `--region` and `--endpoint-url` first; then the environment and the shared
config file, read by botocore itself: credentials by its default chain, the endpoint of
each service by its configured-endpoint lookup (`AWS_ENDPOINT_URL_<SERVICE>`, then
`AWS_ENDPOINT_URL`, then the profile's `services` section, then its `endpoint_url`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
)

from poolmail.tools.env import PROFILE_VARIABLES, REGION_VARIABLES

ClientFactory = Callable[[str, str], Any]

# The AWS CLI v2 reads AWS_REGION before AWS_DEFAULT_REGION, and AWS_PROFILE before
# AWS_DEFAULT_PROFILE (aws-cli v2 branch, awscli/botocore/configprovider.py). botocore on
# its own, and so boto3 and the AWS CLI v1, reads AWS_DEFAULT_REGION only and puts
# AWS_DEFAULT_PROFILE first; these session variables give the tools v2's order.
_SESSION_VARIABLES = {
    "region": ("region", list(REGION_VARIABLES), None, None),
    "profile": (None, list(PROFILE_VARIABLES), None, None),
}

SERVICES = ("cognito-idp", "ses", "sesv2")
_RETRIES = Config(retries={"max_attempts": 2, "mode": "standard"})
_IGNORE_CONFIGURED = Config(ignore_configured_endpoint_urls=True)

# The AWS CLI's own words for the two errors a new user meets first (awscli/clidriver.py
# of the v1 package; awscli/errorhandler.py of v2, which suggests `aws login` instead).
NO_REGION = (
    'You must specify a region. You can also configure your region by running "aws configure".'
)
NO_CREDENTIALS = (
    'Unable to locate credentials. You can configure credentials by running "aws configure".'
)


class ConfigurationProblem(Exception):
    """The profile, region, endpoint or credentials cannot be resolved: a usage error (exit 2)."""


def explain(error: BotoCoreError) -> str:
    """An error as the AWS CLI prints it."""
    if isinstance(error, NoRegionError):
        return NO_REGION
    if isinstance(error, NoCredentialsError):
        return NO_CREDENTIALS
    return str(error)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


@dataclass(frozen=True, slots=True)
class AwsOptions:
    """What the command line says; None leaves the choice to the environment and config."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


@dataclass
class AwsClients:
    """Makes one client per service and region, and keeps it.

    `region` is the region the command works in; `region_source` says where it came from,
    for messages. `make` replaces the session's clients (tests stub AWS with it).
    """

    region: str
    region_source: str = "--region"
    endpoint_url: str | None = None
    session: Any = None
    make: ClientFactory | None = None
    _made: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._made:
            if self.make is not None:
                self._made[key] = self.make(service, region)
            else:
                self._made[key] = self._create(service, region, _RETRIES)
        return self._made[key]

    def _create(self, service: str, region: str, config: Config) -> Any:
        if self.session is None:
            self.session = botocore.session.Session(session_vars=_SESSION_VARIABLES)
        return self.session.create_client(
            service, region_name=region, endpoint_url=self.endpoint_url, config=config
        )

    def configured_endpoint(self, service: str, region: str) -> str | None:
        """The endpoint the service's client was pointed at, or None for AWS's own.

        Compared with the client botocore makes when told to ignore configured endpoints,
        so a flag, an environment variable and a config file setting all count.
        """
        if self.endpoint_url is not None:
            return self.endpoint_url
        if self.make is not None:
            return None
        used = str(self.client(service, region).meta.endpoint_url)
        plain = self._create(service, region, _RETRIES.merge(_IGNORE_CONFIGURED))
        return None if used == str(plain.meta.endpoint_url) else used

    def cognito(self, region: str) -> Any:
        return self.client("cognito-idp", region)

    def ses(self, region: str) -> Any:
        return self.client("ses", region)

    def sesv2(self, region: str) -> Any:
        return self.client("sesv2", region)


def connect(options: AwsOptions) -> AwsClients:
    """Resolve profile, region and credentials up front, as the AWS CLI would before its
    first request, so that a command fails before it has reported anything.

    Raises ConfigurationProblem with the AWS CLI's text for what is missing.
    """
    if options.endpoint_url is not None and not urlsplit(options.endpoint_url).scheme:
        # The AWS CLI's own check of the flag (awscli/customizations/globalargs.py).
        raise ConfigurationProblem(
            f'Bad value for --endpoint-url "{options.endpoint_url}": scheme is missing.  '
            "Must be of the form http://<hostname>/ or https://<hostname>/"
        )
    try:
        session = botocore.session.Session(session_vars=_SESSION_VARIABLES, profile=options.profile)
        if options.region:
            session.set_config_variable("region", options.region)
        # Reading the region loads the profile first: an unknown one fails here, with
        # botocore's "The config profile (NAME) could not be found".
        region = session.get_config_variable("region")
        if not region:
            raise NoRegionError()
        clients = AwsClients(
            region=region,
            region_source=_region_source(options, session),
            endpoint_url=options.endpoint_url,
            session=session,
        )
        # A malformed region or endpoint, or a profile naming a missing `services`
        # section, fails when a client is made: make every service's now.
        for service in SERVICES:
            clients.client(service, region)
        if session.get_credentials() is None:
            raise NoCredentialsError()
    except BotoCoreError as error:
        raise ConfigurationProblem(explain(error)) from error
    except ValueError as error:  # botocore's "Invalid endpoint: URL", a bad region
        raise ConfigurationProblem(str(error)) from error
    return clients


def _region_source(options: AwsOptions, session: Any) -> str:
    if options.region:
        return "--region"
    for name in REGION_VARIABLES:
        # botocore takes a variable that is set, even to an empty value.
        if name in os.environ:
            return name
    return f"profile {session.profile or 'default'}"
