"""The environment variables that point the AWS SDKs and CLI at a poolmail server, so code
that builds its own `boto3.client("cognito-idp")` reaches it unchanged.

botocore (1.31 and later), the AWS CLI and the JavaScript SDK v3 read a service's endpoint
from `AWS_ENDPOINT_URL_<SERVICE ID>`, the service id in capitals with `_` for spaces
(docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
"""

from __future__ import annotations

from collections.abc import Mapping

from poolmail.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY
from poolmail.tools.env import ENDPOINT_VARIABLES

__all__ = ["CLEARED_VARIABLES", "ENDPOINT_VARIABLES", "region_in", "sdk_environment"]
# Each would beat or break the test credentials and endpoints: a profile (which may not
# exist on a CI machine), a session token of real credentials, the switch that makes the
# SDKs ignore AWS_ENDPOINT_URL_*.
CLEARED_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


def sdk_environment(url: str, region: str) -> dict[str, str]:
    """The variables to set: endpoints, test credentials, region (`AWS_REGION` for the
    JavaScript SDK and AWS CLI v2, `AWS_DEFAULT_REGION` for boto3)."""
    variables = dict.fromkeys(ENDPOINT_VARIABLES, url)
    variables.update(
        AWS_ACCESS_KEY_ID=TEST_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=TEST_SECRET_KEY,
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
    )
    return variables


def region_in(environ: Mapping[str, str], default: str) -> str:
    """The region the SDKs would use from `environ`, else `default`."""
    return environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or default
