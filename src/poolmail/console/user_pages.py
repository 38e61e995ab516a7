"""A user's page: status and attributes, MFA settings (factors, preference, authenticator
app), remembered devices and passkeys, as the AWS console's user details show them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from poolmail.cognito.signin.passkeys import user_credentials
from poolmail.console.layout import show
from poolmail.console.pool_pages import COGNITO, pool_url
from poolmail.console.scope import Scope, call, has_operation, pool_scope, scope_of
from poolmail.server.admin.admin import services_of
from poolmail.server.pipeline import Services


def _devices(services: Services, scope: Scope, pool_id: str, username: str) -> list[Any]:
    if not has_operation(services, COGNITO, "AdminListDevices"):
        return []
    listed = call(
        services,
        scope,
        COGNITO,
        "AdminListDevices",
        {"UserPoolId": pool_id, "Username": username, "Limit": 60},
    )
    devices: list[Any] = listed.get("Devices", [])
    for device in devices:
        device["attributes"] = {
            entry["Name"]: entry.get("Value") for entry in device.get("DeviceAttributes", [])
        }
    return devices


async def user_page(request: Request) -> Response:
    services = services_of(request)
    pool_id = request.path_params["pool_id"]
    username = request.path_params["username"]
    scope = pool_scope(pool_id, scope_of(request, services))

    def build() -> dict[str, Any]:
        user = call(
            services, scope, COGNITO, "AdminGetUser", {"UserPoolId": pool_id, "Username": username}
        )
        sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
        with services.db.transaction(readonly=True) as tx:
            passkeys = user_credentials(tx, pool_id, sub)
        return {
            "pool_id": pool_id,
            "pool_url": pool_url(pool_id, scope),
            "user": user,
            "mfa": {
                "factors": user.get("UserMFASettingList", []),
                "preferred": user.get("PreferredMfaSetting"),
                "legacy": [o["DeliveryMedium"] for o in user.get("MFAOptions", [])],
            },
            "devices": _devices(services, scope, pool_id, username),
            "passkeys": passkeys,
        }

    return await show(request, scope, "user.html", "pools", build)
