"""An UpdateUserPool request built from DescribeUserPool's answer: every current setting
kept, so AWS's reset-if-omitted rule resets nothing. `poolmail integrate` sends it to AWS
or poolmail; the console's email page calls the same operation in-process."""

from __future__ import annotations

from typing import Any

# DescribeUserPool fields UpdateUserPool does not take (AWS's update recipe), plus the
# create-only ones: sending them back would fail or be ignored.
READ_ONLY = {
    "Arn",
    "CreationDate",
    "CustomDomain",
    "Domain",
    "EmailConfigurationFailure",
    "EstimatedNumberOfUsers",
    "Id",
    "LastModifiedDate",
    "Name",
    "SchemaAttributes",
    "SmsConfigurationFailure",
    "Status",
    "UsernameAttributes",
    "AliasAttributes",
    "UsernameConfiguration",
}


def update_request(pool: dict[str, Any], email_configuration: dict[str, Any]) -> dict[str, Any]:
    """An UpdateUserPool request that keeps every current setting and sets the email."""
    request = {key: value for key, value in pool.items() if key not in READ_ONLY}
    admin = request.get("AdminCreateUserConfig")
    password = request.get("Policies", {}).get("PasswordPolicy", {})
    if isinstance(admin, dict) and "TemporaryPasswordValidityDays" in password:
        # AWS refuses the deprecated UnusedAccountValidityDays next to the password
        # policy's TemporaryPasswordValidityDays, which replaced it.
        request["AdminCreateUserConfig"] = {
            k: v for k, v in admin.items() if k != "UnusedAccountValidityDays"
        }
    request["EmailConfiguration"] = email_configuration
    request["UserPoolId"] = pool["Id"]
    return request
