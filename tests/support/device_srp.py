"""The client side of Cognito device SRP, as amazon-cognito-identity-js computes it
(`AuthenticationHelper.generateHashDevice`, `CognitoUser.getDeviceResponse`): a device
password and its verifier for ConfirmDevice, then SRP_A and the DEVICE_PASSWORD_VERIFIER
answer. pycognito's `aws_srp` module does the arithmetic.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from pycognito import aws_srp


def verifier_config(group_key: str, device_key: str) -> tuple[str, dict[str, str]]:
    """A random device password and the DeviceSecretVerifierConfig that proves it:
    v = g^x, x = H(salt | H(groupKey | deviceKey | ":" | password))."""
    password, config = aws_srp.generate_hash_device(group_key, device_key)
    return str(password), {str(k): str(v) for k, v in config.items()}


@dataclass
class DeviceClient:
    """One remembered device: its keys, its password, and one SRP exchange at a time."""

    device_key: str
    group_key: str
    password: str
    _helper: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The pool and client are unused by the device arithmetic.
        self._helper = aws_srp.AWSSRP(
            username="unused",
            password="unused",
            pool_id="us-east-1_unused",
            client_id="unused",
            client=object(),
            device_key=self.device_key,
            device_group_key=self.group_key,
            device_password=self.password,
        )

    def srp_a(self) -> str:
        return str(aws_srp.long_to_hex(self._helper.large_a_value))

    def srp_auth(self, username: str) -> dict[str, str]:
        """ChallengeResponses of DEVICE_SRP_AUTH."""
        return {"USERNAME": username, "DEVICE_KEY": self.device_key, "SRP_A": self.srp_a()}

    def password_verifier(
        self, parameters: dict[str, str], *, password: str | None = None
    ) -> dict[str, str]:
        """ChallengeResponses of DEVICE_PASSWORD_VERIFIER for its ChallengeParameters;
        ``password`` signs with another device password (a wrong answer)."""
        hkdf = self._helper.get_device_authentication_key(
            self.group_key,
            self.device_key,
            password if password is not None else self.password,
            aws_srp.hex_to_long(parameters["SRP_B"]),
            parameters["SALT"],
        )
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        timestamp = aws_srp.AWSSRP.get_cognito_formatted_timestamp(now)
        block = parameters["SECRET_BLOCK"]
        message = (
            self.group_key.encode()
            + self.device_key.encode()
            + base64.b64decode(block)
            + timestamp.encode()
        )
        signature = base64.b64encode(hmac.new(hkdf, message, hashlib.sha256).digest()).decode()
        return {
            "USERNAME": parameters["USERNAME"],
            "DEVICE_KEY": self.device_key,
            "PASSWORD_CLAIM_SECRET_BLOCK": block,
            "PASSWORD_CLAIM_SIGNATURE": signature,
            "TIMESTAMP": timestamp,
        }
