"""SES v2 import jobs, black-box: suppression-list and contact-list imports from files in
poolmail's own object store, in CSV and JSON; listing, paging and the error paths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import production_access
from tests.ses.jobs.support import download, finished, upload
from tests.support.server import ServerProcess


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def _refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def _suppression_import(sesv2: Any, url: str, action: str, data_format: str) -> str:
    return str(
        sesv2.create_import_job(
            ImportDestination={
                "SuppressionListDestination": {"SuppressionListImportAction": action}
            },
            ImportDataSource={"S3Url": url, "DataFormat": data_format},
        )["JobId"]
    )


def _listed(sesv2: Any) -> dict[str, str]:
    found = sesv2.list_suppressed_destinations()["SuppressedDestinationSummaries"]
    return {item["EmailAddress"]: item["Reason"] for item in found}


def test_suppression_list_import_puts_and_deletes_in_csv_and_json(live: ServerProcess) -> None:
    production_access(live)
    sesv2 = live.client("sesv2")
    csv_url = upload(
        live,
        "imports",
        "suppressed.csv",
        b"first@example.com,BOUNCE\nsecond@example.com,complaint\n\nnot-an-address,BOUNCE\n"
        b"third@example.com,NONSENSE\n",
    )
    job_id = _suppression_import(sesv2, csv_url, "PUT", "CSV")
    job = finished(sesv2.get_import_job, job_id)
    assert job["JobStatus"] == "COMPLETED"
    assert job["ProcessedRecordsCount"] == 4
    assert job["FailedRecordsCount"] == 2
    assert job["ImportDataSource"] == {"S3Url": csv_url, "DataFormat": "CSV"}
    assert job["ImportDestination"] == {
        "SuppressionListDestination": {"SuppressionListImportAction": "PUT"}
    }
    assert job["CompletedTimestamp"] >= job["CreatedTimestamp"]
    assert _listed(sesv2) == {"first@example.com": "BOUNCE", "second@example.com": "COMPLAINT"}
    failed = download(live, job["FailureInfo"]["FailedRecordsS3Url"]).decode()
    assert failed.splitlines()[0] == "line,record,error"
    assert "not-an-address" in failed and "third@example.com" in failed

    json_url = upload(
        live,
        "imports",
        "more.json",
        b'{"emailAddress": "fourth@example.com", "reason": "BOUNCE"}\n'
        b'{"emailAddress": "first@example.com", "reason": "COMPLAINT"}\n',
    )
    job = finished(sesv2.get_import_job, _suppression_import(sesv2, json_url, "PUT", "JSON"))
    assert (job["JobStatus"], job["ProcessedRecordsCount"], job["FailedRecordsCount"]) == (
        "COMPLETED",
        2,
        0,
    )
    assert "FailureInfo" not in job
    # PUT overrides an existing record with the new value.
    assert _listed(sesv2)["first@example.com"] == "COMPLAINT"

    delete_url = upload(live, "imports", "gone.json", b'{"emailAddress": "first@example.com"}\n')
    finished(sesv2.get_import_job, _suppression_import(sesv2, delete_url, "DELETE", "JSON"))
    delete_csv = upload(live, "imports", "gone.csv", b"second@example.com\n")
    finished(sesv2.get_import_job, _suppression_import(sesv2, delete_csv, "DELETE", "CSV"))
    assert _listed(sesv2) == {"fourth@example.com": "BOUNCE"}


def test_contact_list_import_adds_updates_and_deletes_contacts(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_contact_list(
        ContactListName="customers",
        Topics=[
            {"TopicName": "weekly", "DisplayName": "Weekly", "DefaultSubscriptionStatus": "OPT_IN"},
            {
                "TopicName": "offers",
                "DisplayName": "Offers",
                "DefaultSubscriptionStatus": "OPT_OUT",
            },
        ],
    )
    body = (
        "emailAddress,unsubscribeAll,attributesData,topicPreferences\n"
        'ann@example.com,false,"{""name"": ""Ann""}",weekly=OPT_OUT;offers=OPT_IN\n'
        "bob@example.com,true,,\n"
        "carl@example.com,false,,unknown=OPT_IN\n"
    )
    url = upload(live, "imports", "contacts.csv", body.encode())
    destination = {
        "ContactListDestination": {"ContactListName": "customers", "ContactListImportAction": "PUT"}
    }
    job_id = sesv2.create_import_job(
        ImportDestination=destination, ImportDataSource={"S3Url": url, "DataFormat": "CSV"}
    )["JobId"]
    job = finished(sesv2.get_import_job, job_id)
    assert (job["JobStatus"], job["ProcessedRecordsCount"], job["FailedRecordsCount"]) == (
        "COMPLETED",
        3,
        1,
    )
    ann = sesv2.get_contact(ContactListName="customers", EmailAddress="ann@example.com")
    assert ann["TopicPreferences"] == [
        {"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"},
        {"TopicName": "offers", "SubscriptionStatus": "OPT_IN"},
    ]
    assert json.loads(ann["AttributesData"]) == {"name": "Ann"}
    bob = sesv2.get_contact(ContactListName="customers", EmailAddress="bob@example.com")
    assert bob["UnsubscribeAll"] is True
    listed = sesv2.list_contacts(ContactListName="customers")["Contacts"]
    assert sorted(contact["EmailAddress"] for contact in listed) == [
        "ann@example.com",
        "bob@example.com",
    ]

    dan_preferences = [{"topicName": "offers", "subscriptionStatus": "OPT_IN"}]
    lines = json.dumps({"emailAddress": "dan@example.com", "topicPreferences": dan_preferences})
    json_url = upload(live, "imports", "contacts.json", (lines + "\n").encode())
    job_id = sesv2.create_import_job(
        ImportDestination=destination, ImportDataSource={"S3Url": json_url, "DataFormat": "JSON"}
    )["JobId"]
    assert finished(sesv2.get_import_job, job_id)["JobStatus"] == "COMPLETED"
    dan = sesv2.get_contact(ContactListName="customers", EmailAddress="dan@example.com")
    assert dan["TopicPreferences"] == [{"TopicName": "offers", "SubscriptionStatus": "OPT_IN"}]

    gone = upload(live, "imports", "gone.json", b'{"emailAddress": "ann@example.com"}\n')
    delete = {
        "ContactListDestination": {
            "ContactListName": "customers",
            "ContactListImportAction": "DELETE",
        }
    }
    job_id = sesv2.create_import_job(
        ImportDestination=delete, ImportDataSource={"S3Url": gone, "DataFormat": "JSON"}
    )["JobId"]
    finished(sesv2.get_import_job, job_id)
    with pytest.raises(ClientError) as excinfo:
        sesv2.get_contact(ContactListName="customers", EmailAddress="ann@example.com")
    assert error_of(excinfo)[0] == "NotFoundException"


def test_a_missing_file_fails_the_job(live: ServerProcess) -> None:
    production_access(live)
    sesv2 = live.client("sesv2")
    job_id = _suppression_import(sesv2, "s3://imports/absent.csv", "PUT", "CSV")
    job = finished(sesv2.get_import_job, job_id)
    assert job["JobStatus"] == "FAILED"
    assert job["FailureInfo"] == {
        "ErrorMessage": "Failed to read s3://imports/absent.csv: The specified key does not exist."
    }


def test_listing_filters_and_pages_newest_first(live: ServerProcess) -> None:
    production_access(live)
    sesv2 = live.client("sesv2")
    sesv2.create_contact_list(ContactListName="people")
    url = upload(live, "imports", "few.csv", b"a@example.com,BOUNCE\n")
    suppression_ids = [_suppression_import(sesv2, url, "PUT", "CSV") for _ in range(3)]
    contact_id = sesv2.create_import_job(
        ImportDestination={
            "ContactListDestination": {
                "ContactListName": "people",
                "ContactListImportAction": "PUT",
            }
        },
        ImportDataSource={"S3Url": url, "DataFormat": "CSV"},
    )["JobId"]
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = sesv2.list_import_jobs(PageSize=2, **token)
        assert len(page["ImportJobs"]) <= 2
        seen += [job["JobId"] for job in page["ImportJobs"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert sorted(seen) == sorted([*suppression_ids, contact_id])
    for job_id in seen:
        finished(sesv2.get_import_job, job_id)
    only = sesv2.list_import_jobs(ImportDestinationType="CONTACT_LIST")["ImportJobs"]
    assert [job["JobId"] for job in only] == [contact_id]
    assert set(only[0]) >= {"JobId", "ImportDestination", "JobStatus", "CreatedTimestamp"}
    assert _refused(sesv2.list_import_jobs, NextToken="garbage")[0] == "BadRequestException"
    assert _refused(sesv2.list_import_jobs, PageSize=0) == (
        "BadRequestException",
        "PageSize must be at least 1.",
        400,
    )


def test_refusals_change_nothing(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    url = "s3://imports/file.csv"
    # Sandboxed accounts cannot import to the suppression list (facts §1).
    assert _refused(
        sesv2.create_import_job,
        ImportDestination={"SuppressionListDestination": {"SuppressionListImportAction": "PUT"}},
        ImportDataSource={"S3Url": url, "DataFormat": "CSV"},
    ) == (
        "BadRequestException",
        "Your account is in the Amazon SES sandbox: importing addresses to the suppression "
        "list requires production access.",
        400,
    )
    assert _refused(
        sesv2.create_import_job,
        ImportDestination={
            "ContactListDestination": {
                "ContactListName": "absent",
                "ContactListImportAction": "PUT",
            }
        },
        ImportDataSource={"S3Url": url, "DataFormat": "CSV"},
    ) == ("BadRequestException", "List with name: absent doesn't exist.", 400)
    assert _refused(
        sesv2.create_import_job,
        ImportDestination={},
        ImportDataSource={"S3Url": url, "DataFormat": "CSV"},
    ) == (
        "BadRequestException",
        "ImportDestination must specify exactly one of SuppressionListDestination or "
        "ContactListDestination.",
        400,
    )
    assert _refused(sesv2.get_import_job, JobId="no-such-job") == (
        "NotFoundException",
        "Import job no-such-job does not exist.",
        404,
    )
    assert sesv2.list_import_jobs()["ImportJobs"] == []
    # Jobs are per Region.
    production_access(live)
    job_id = _suppression_import(sesv2, url, "PUT", "CSV")
    other = live.client("sesv2", region="eu-west-1")
    assert _refused(other.get_import_job, JobId=job_id)[0] == "NotFoundException"
    finished(sesv2.get_import_job, job_id)  # nothing left running for the next test


def test_the_aws_cli_imports_and_reads_the_job(live: ServerProcess) -> None:
    from tests.test_awscli import aws, ok

    production_access(live)
    url = upload(live, "imports", "cli.csv", b"cli@example.com,BOUNCE\n")
    created = ok(
        aws(
            live,
            "sesv2",
            "create-import-job",
            "--import-destination",
            '{"SuppressionListDestination":{"SuppressionListImportAction":"PUT"}}',
            "--import-data-source",
            json.dumps({"S3Url": url, "DataFormat": "CSV"}),
        )
    )
    sesv2 = live.client("sesv2")
    finished(sesv2.get_import_job, created["JobId"])
    job = ok(aws(live, "sesv2", "get-import-job", "--job-id", created["JobId"]))
    assert (job["JobStatus"], job["ProcessedRecordsCount"]) == ("COMPLETED", 1)
    listed = ok(aws(live, "sesv2", "list-import-jobs"))
    assert [item["JobId"] for item in listed["ImportJobs"]] == [created["JobId"]]
    missing = aws(live, "sesv2", "get-import-job", "--job-id", "absent")
    assert missing.returncode != 0
    assert (
        "(NotFoundException)" in missing.stderr
        and "Import job absent does not exist." in missing.stderr
    )
