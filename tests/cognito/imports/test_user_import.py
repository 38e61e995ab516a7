"""User import from a CSV file, black-box: GetCSVHeader, the job's life through boto3, the
upload by PUT to its PreSignedUrl, the users it makes, and 10,000 of them resetting."""

from __future__ import annotations

import signal
import time
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, idp, make_client, make_pool, user_of
from tests.ses.helpers import advance
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess

ROLE = "arn:aws:iam::123456789012:role/CognitoImport"
HEADER = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    "cognito:mfa_enabled",
    "cognito:username",
]
NEW_PASSWORD = "N3w-Secret!"


def csv_of(users: list[dict[str, str]], header: list[str] = HEADER) -> str:
    lines = [",".join(header)]
    lines += [",".join(user.get(column, "") for column in header) for user in users]
    return "\n".join(lines) + "\n"


def person(username: str, /, **extra: str) -> dict[str, str]:
    return {
        "cognito:username": username,
        "email": f"{username}@example.com",
        "email_verified": "TRUE",
        "cognito:mfa_enabled": "FALSE",
        **extra,
    }


def create_job(live: ServerProcess, pool_id: str, name: str = "import") -> dict[str, Any]:
    job: dict[str, Any] = idp(live).create_user_import_job(
        UserPoolId=pool_id, JobName=name, CloudWatchLogsRoleArn=ROLE
    )["UserImportJob"]
    return job


def upload(job: dict[str, Any], text: str) -> httpx.Response:
    # As the developer guide's curl does: a PUT with the server-side encryption header.
    return httpx.put(
        job["PreSignedUrl"],
        content=text.encode(),
        headers={"x-amz-server-side-encryption": "aws:kms"},
        timeout=60,
    )


def wait_for(live: ServerProcess, pool_id: str, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = idp(live).describe_user_import_job(UserPoolId=pool_id, JobId=job_id)[
            "UserImportJob"
        ]
        if job["Status"] not in ("Pending", "InProgress", "Stopping"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def run_import(live: ServerProcess, pool_id: str, text: str) -> dict[str, Any]:
    job = create_job(live, pool_id)
    assert upload(job, text).status_code == 200
    idp(live).start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    return wait_for(live, pool_id, job["JobId"])


def log_of(live: ServerProcess, job_id: str) -> list[str]:
    answer = httpx.get(f"{live.url}/_poolmail/cognito/import-jobs/{job_id}/log")
    answer.raise_for_status()
    events: list[str] = answer.json()["events"]
    return events


def test_csv_header_lists_the_pools_attributes_in_aws_order(live: ServerProcess) -> None:
    pool_id = make_pool(
        live,
        Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}],
    )
    answer = idp(live).get_csv_header(UserPoolId=pool_id)
    assert answer["UserPoolId"] == pool_id
    assert answer["CSVHeader"] == [*HEADER[:-2], "custom:tenant", *HEADER[-2:]]


def test_a_job_is_created_uploaded_started_and_succeeds(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    job = create_job(live, pool_id, "first import")
    assert job["Status"] == "Created"
    assert job["JobId"].startswith("import-")
    assert job["JobName"] == "first import"
    assert job["CloudWatchLogsRoleArn"] == ROLE
    assert (job["ImportedUsers"], job["SkippedUsers"], job["FailedUsers"]) == (0, 0, 0)
    assert job["PreSignedUrl"].startswith(f"{live.url}/_poolmail/cognito/import/")
    assert "StartDate" not in job and "CompletionDate" not in job

    # A backslash escapes a comma; values are trimmed (the developer guide's rules).
    alice = person("alice", given_name=" Alice ", address="1 Main St\\, Apt 4")
    answer = upload(job, csv_of([alice, person("bob")]))
    assert answer.status_code == 200
    assert answer.headers["etag"].startswith('"')
    assert answer.headers["x-amz-server-side-encryption"] == "aws:kms"
    started = idp(live).start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert started["UserImportJob"]["Status"] == "Pending"
    assert "StartDate" in started["UserImportJob"]

    done = wait_for(live, pool_id, job["JobId"])
    assert done["Status"] == "Succeeded"
    assert done["CompletionMessage"] == "Import Job Completed Successfully."
    assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (2, 0, 0)
    alice = user_of(live, pool_id, "alice")
    assert alice["UserStatus"] == "RESET_REQUIRED"
    assert alice["attributes"]["email"] == "alice@example.com"
    assert alice["attributes"]["email_verified"] == "true"
    assert alice["attributes"]["given_name"] == "Alice"
    assert alice["attributes"]["address"] == "1 Main St, Apt 4"

    listed = idp(live).list_user_import_jobs(UserPoolId=pool_id, MaxResults=10)
    assert [item["JobId"] for item in listed["UserImportJobs"]] == [job["JobId"]]
    assert "PaginationToken" not in listed


def test_rows_that_exist_or_break_the_rules_are_skipped_and_failed(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    idp(live).admin_create_user(UserPoolId=pool_id, Username="taken", MessageAction="SUPPRESS")
    rows = [
        person("fine"),
        person("taken"),
        person("unverified", email_verified="FALSE"),
        person("", email="nobody@example.com"),
        person("bad-email", email="not-an-address"),
        person("bad-mfa", **{"cognito:mfa_enabled": "maybe"}),
        person("fine"),  # the same name twice in one file: the second exists by then
    ]
    done = run_import(live, pool_id, csv_of(rows))
    assert done["Status"] == "Failed"
    assert done["CompletionMessage"] == (
        "Too many users have failed or been skipped during the import."
    )
    assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (1, 2, 4)
    assert log_of(live, done["JobId"]) == [
        "[SKIPPED] Line Number 3 - The user already exists.",
        "[FAILED] Line Number 4 - The User Record does not set any of the auto verified "
        "attributes to true. (Example: email_verified to true).",
        "[FAILED] Line Number 5 - The cognito:username field is required.",
        "[FAILED] Line Number 6 - Invalid email address format.",
        "[FAILED] Line Number 7 - The cognito:mfa_enabled field must be true or false.",
        "[SKIPPED] Line Number 8 - The user already exists.",
    ]
    assert user_of(live, pool_id, "taken")["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_aliases_mfa_and_case_follow_the_pools_settings(live: ServerProcess) -> None:
    pool_id = make_pool(
        live,
        AutoVerifiedAttributes=["email"],
        AliasAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        MfaConfiguration="OPTIONAL",
        SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/sns", "ExternalId": "x"},
    )
    idp(live).admin_create_user(
        UserPoolId=pool_id,
        Username="holder",
        UserAttributes=[
            {"Name": "email", "Value": "shared@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    rows = [
        person("Holder"),  # the same name in another case: exists in a case-insensitive pool
        person("copycat", email="shared@example.com"),
        person("texter", phone_number="+15555550100", **{"cognito:mfa_enabled": "TRUE"}),
        person("silent", **{"cognito:mfa_enabled": "TRUE"}),
    ]
    done = run_import(live, pool_id, csv_of(rows))
    assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (1, 1, 2)
    assert log_of(live, done["JobId"]) == [
        "[SKIPPED] Line Number 2 - The user already exists.",
        "[FAILED] Line Number 3 - An account with the email already exists.",
        "[FAILED] Line Number 5 - The cognito:mfa_enabled field is true but the user has no "
        "phone_number.",
    ]
    texter = idp(live).admin_get_user(UserPoolId=pool_id, Username="texter")
    assert texter["MFAOptions"] == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]


def test_a_header_that_does_not_match_fails_the_job(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    header = [column for column in HEADER if column != "nickname"] + ["shoe_size"]
    done = run_import(live, pool_id, csv_of([person("alice")], header))
    assert done["Status"] == "Failed"
    assert done["CompletionMessage"] == (
        "The CSV header does not match GetCSVHeader (missing nickname; unknown shoe_size)."
    )
    assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (0, 0, 0)


def test_start_and_stop_refuse_jobs_in_the_wrong_state(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    job = create_job(live, pool_id)
    job_id = job["JobId"]
    with pytest.raises(ClientError) as excinfo:
        cognito.start_user_import_job(UserPoolId=pool_id, JobId=job_id)
    assert error_of(excinfo) == (
        "PreconditionNotMetException",
        f"The CSV file of import job {job_id} has not been uploaded to its PreSignedUrl.",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.stop_user_import_job(UserPoolId=pool_id, JobId=job_id)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"Import job {job_id} cannot be stopped: its status is Created.",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_import_job(UserPoolId=pool_id, JobId="import-nothing")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Import job import-nothing does not exist in user pool {pool_id}.",
    )
    done = run_import(live, pool_id, csv_of([person("alice")]))
    with pytest.raises(ClientError) as excinfo:
        cognito.start_user_import_job(UserPoolId=pool_id, JobId=done["JobId"])
    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"Import job {done['JobId']} cannot be started: its status is Succeeded.",
    )


def test_a_pool_without_auto_verified_attributes_does_not_start(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    job = create_job(live, pool_id)
    upload(job, csv_of([person("alice")]))
    with pytest.raises(ClientError) as excinfo:
        idp(live).start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert error_of(excinfo) == (
        "PreconditionNotMetException",
        "The user pool has no auto-verified attributes; imported users need a verified "
        "email or phone_number to reset their passwords.",
    )


def test_the_url_expires_after_15_minutes_and_the_job_after_a_day(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    job = create_job(live, pool_id)
    advance(live, 15 * 60)
    answer = upload(job, csv_of([person("alice")]))
    assert answer.status_code == 403
    assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in answer.text
    forged = httpx.put(f"{live.url}/_poolmail/cognito/import/forged", content=b"x")
    assert forged.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in forged.text
    advance(live, 24 * 3600)
    expired = idp(live).describe_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert expired["UserImportJob"]["Status"] == "Expired"
    time.sleep(0.6)  # the runner's next round stores it so
    listed = idp(live).list_user_import_jobs(UserPoolId=pool_id, MaxResults=1)
    assert listed["UserImportJobs"] == [expired["UserImportJob"]]
    assert expired["UserImportJob"]["CompletionMessage"] == "The user import job has expired."
    with pytest.raises(ClientError) as excinfo:
        idp(live).start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"Import job {job['JobId']} cannot be started: its status is Expired.",
    )


def test_jobs_are_listed_newest_first_a_page_at_a_time(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    made = [create_job(live, pool_id, f"job{n}")["JobId"] for n in range(3)]
    cognito = idp(live)
    first = cognito.list_user_import_jobs(UserPoolId=pool_id, MaxResults=2)
    assert [job["JobId"] for job in first["UserImportJobs"]] == made[::-1][:2]
    assert first["PaginationToken"].startswith(f"{pool_id}#{made[1]}#")
    second = cognito.list_user_import_jobs(
        UserPoolId=pool_id, MaxResults=2, PaginationToken=first["PaginationToken"]
    )
    assert [job["JobId"] for job in second["UserImportJobs"]] == [made[0]]
    assert "PaginationToken" not in second


def test_a_pending_job_stops_at_once(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    job = create_job(live, pool_id)
    upload(job, csv_of([person(f"user{n}") for n in range(3000)]))
    cognito = idp(live)
    cognito.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    stopped = cognito.stop_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert stopped["UserImportJob"]["Status"] in ("Stopped", "Stopping")
    done = wait_for(live, pool_id, job["JobId"])
    assert done["Status"] == "Stopped"
    assert done["CompletionMessage"] == "The Import Job was stopped by the developer."
    assert done["ImportedUsers"] < 3000


def test_a_running_job_stops_after_its_current_batch(live: ServerProcess) -> None:
    total = 20_000
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    job = create_job(live, pool_id)
    upload(job, csv_of([person(f"user{n:05d}") for n in range(total)]))
    cognito = idp(live)
    cognito.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    while True:
        seen = cognito.describe_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
        if seen["UserImportJob"]["ImportedUsers"] > 0:
            break
        time.sleep(0.02)
    stopping = cognito.stop_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert stopping["UserImportJob"]["Status"] == "Stopping"
    done = wait_for(live, pool_id, job["JobId"])
    assert done["Status"] == "Stopped"
    assert done["CompletionMessage"] == "The Import Job was stopped by the developer."
    # Whole batches: what was imported stays, the rest never is.
    assert 0 < done["ImportedUsers"] < total
    assert done["ImportedUsers"] % 1000 == 0
    pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["EstimatedNumberOfUsers"] == done["ImportedUsers"]
    with pytest.raises(ClientError) as excinfo:
        cognito.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_a_pool_cannot_change_while_its_import_runs(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    job = create_job(live, pool_id)
    upload(job, csv_of([person(f"user{n:05d}") for n in range(20_000)]))
    cognito = idp(live)
    cognito.start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    before = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    refused = "User import job {} is in progress for user pool {}.".format(job["JobId"], pool_id)
    attempts = (
        lambda: cognito.add_custom_attributes(
            UserPoolId=pool_id, CustomAttributes=[{"Name": "team", "AttributeDataType": "String"}]
        ),
        lambda: cognito.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"]),
        lambda: cognito.delete_user_pool(UserPoolId=pool_id),
    )
    for attempt in attempts:
        with pytest.raises(ClientError) as excinfo:
            attempt()
        assert error_of(excinfo) == ("UserImportInProgressException", refused)
    after = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert after["SchemaAttributes"] == before["SchemaAttributes"]
    assert after["LastModifiedDate"] == before["LastModifiedDate"]
    cognito.stop_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
    assert wait_for(live, pool_id, job["JobId"])["Status"] == "Stopped"
    cognito.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"])
    cognito.delete_user_pool(UserPoolId=pool_id)


def test_ten_thousand_users_import_and_reset_their_passwords(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    client_id = make_client(
        live, pool_id, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )
    text = csv_of([person(f"user{n:05d}", name=f"User {n}") for n in range(10_000)])
    # How fast is for bench/, not for a test: under a parallel suite's load any bound flakes.
    done = run_import(live, pool_id, text)
    assert done["Status"] == "Succeeded", done
    assert done["ImportedUsers"] == 10_000
    cognito = idp(live)
    described = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["EstimatedNumberOfUsers"] == 10_000

    username = "user04321"
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": "Anything1!"},
        )
    assert error_of(excinfo) == (
        "PasswordResetRequiredException",
        "Password reset required for the user",
    )
    sent = cognito.forgot_password(ClientId=client_id, Username=username)
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    mailed = httpx.get(
        f"{live.url}/_poolmail/codes", params={"pool_id": pool_id, "username": username}
    ).json()
    assert mailed["recipient"] == f"{username}@example.com"
    cognito.confirm_forgot_password(
        ClientId=client_id,
        Username=username,
        ConfirmationCode=mailed["code"],
        Password=NEW_PASSWORD,
    )
    tokens = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": NEW_PASSWORD},
    )["AuthenticationResult"]
    assert tokens["AccessToken"]
    assert user_of(live, pool_id, username)["UserStatus"] == "CONFIRMED"


@pytest.mark.postgres
def test_a_replica_killed_mid_import_leaves_the_job_to_another() -> None:
    """Each batch commits its users with the job's position: the replica that takes over
    goes on from there, and every row is imported exactly once."""
    total = 20_000
    with fresh_database() as url:
        first = ServerProcess(["--database-url", url]).start()
        try:
            pool_id = make_pool(first, AutoVerifiedAttributes=["email"])
            job = create_job(first, pool_id)
            upload(job, csv_of([person(f"user{n:05d}") for n in range(total)]))
            idp(first).start_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
            while True:
                seen = idp(first).describe_user_import_job(UserPoolId=pool_id, JobId=job["JobId"])
                if seen["UserImportJob"]["ImportedUsers"] > 0:
                    break
                time.sleep(0.02)
            assert seen["UserImportJob"]["Status"] == "InProgress"
        finally:
            first.stop(signal.SIGKILL)
        second = ServerProcess(["--database-url", url]).start()
        try:
            done = wait_for(second, pool_id, job["JobId"])
            assert done["Status"] == "Succeeded", done
            assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (
                total,
                0,
                0,
            )
            pool = idp(second).describe_user_pool(UserPoolId=pool_id)["UserPool"]
            assert pool["EstimatedNumberOfUsers"] == total
        finally:
            second.stop()
