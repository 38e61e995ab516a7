"""SES v2 resource tags: tags given at creation and tags added later, AWS's limits, and
the AWS CLI's `sesv2 tag-resource`."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import verify
from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok

PREFIX = "arn:aws:ses:us-east-1:123456789012"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def test_tags_given_at_creation_and_changed_later(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    created = [{"Key": "env", "Value": "test"}]
    sesv2.create_email_identity(EmailIdentity="Mail.Example.com", Tags=created)
    sesv2.create_configuration_set(ConfigurationSetName="marketing", Tags=created)
    sesv2.create_email_template(
        TemplateName="hello", TemplateContent={"Subject": "Hi"}, Tags=created
    )
    verify(live, "brand.example")
    sesv2.create_custom_verification_email_template(
        TemplateName="onboarding",
        FromEmailAddress="hi@brand.example",
        TemplateSubject="Confirm",
        TemplateContent="<p>Confirm</p>",
        SuccessRedirectionURL="https://app.example/ok",
        FailureRedirectionURL="https://app.example/no",
        Tags=created,
    )
    arns = [
        f"{PREFIX}:identity/mail.example.com",
        f"{PREFIX}:configuration-set/marketing",
        f"{PREFIX}:template/hello",
        f"{PREFIX}:custom-verification-email-template/onboarding",
    ]
    for arn in arns:
        assert sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"] == created
        sesv2.tag_resource(
            ResourceArn=arn,
            Tags=[{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "team a"}],
        )
        assert sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
            {"Key": "env", "Value": "prod"},
            {"Key": "owner", "Value": "team a"},
        ]
        sesv2.untag_resource(ResourceArn=arn, TagKeys=["env", "never-set"])
        assert sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
            {"Key": "owner", "Value": "team a"}
        ]
    # The resources' own reads show the same tags.
    assert sesv2.get_email_identity(EmailIdentity="mail.example.com")["Tags"] == [
        {"Key": "owner", "Value": "team a"}
    ]
    assert sesv2.get_configuration_set(ConfigurationSetName="marketing")["Tags"] == [
        {"Key": "owner", "Value": "team a"}
    ]


def test_limits_and_refusals_change_nothing(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="set")
    arn = f"{PREFIX}:configuration-set/set"
    sesv2.tag_resource(
        ResourceArn=arn, Tags=[{"Key": f"k{index}", "Value": "v"} for index in range(50)]
    )
    refusals = [
        (
            [{"Key": "one-more", "Value": "v"}],
            "Too many tags: a resource can have at most 50 tags.",
        ),
        ([{"Key": "aws:owner", "Value": "v"}], "reserved"),
        ([{"Key": "k" * 129, "Value": "v"}], "must be 1 to 128 characters long"),
        ([{"Key": "k0", "Value": "v" * 257}], "at most 256 characters long"),
        ([{"Key": "k0", "Value": "semi;colon"}], "may contain only"),
    ]
    for tags, text in refusals:
        with pytest.raises(ClientError) as excinfo:
            sesv2.tag_resource(ResourceArn=arn, Tags=tags)
        code, message, status = error_of(excinfo)
        assert (code, status) == ("BadRequestException", 400)
        assert text in message
    assert len(sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 50

    for missing in (
        f"{PREFIX}:configuration-set/absent",
        f"{PREFIX}:contact-list/news",
        "arn:aws:ses:eu-west-1:123456789012:configuration-set/set",
        "arn:aws:ses:us-east-1:210987654321:configuration-set/set",
    ):
        with pytest.raises(ClientError) as excinfo:
            sesv2.list_tags_for_resource(ResourceArn=missing)
        assert error_of(excinfo) == ("NotFoundException", f"Resource not found: {missing}", 404)
    for malformed in ("not-an-arn", f"{PREFIX}:widget/x", "arn:aws:sns:us-east-1:1:topic"):
        with pytest.raises(ClientError) as excinfo:
            sesv2.tag_resource(ResourceArn=malformed, Tags=[{"Key": "a", "Value": "b"}])
        assert error_of(excinfo) == (
            "BadRequestException",
            f"Resource ARN {malformed} is not valid.",
            400,
        )
    with pytest.raises(ClientError) as excinfo:
        sesv2.create_configuration_set(
            ConfigurationSetName="other", Tags=[{"Key": "aws:x", "Value": "y"}]
        )
    assert error_of(excinfo)[0] == "BadRequestException"
    assert sesv2.list_configuration_sets()["ConfigurationSets"] == ["set"]


def test_sesv2_tag_resource_with_the_aws_cli(live: ServerProcess) -> None:
    live.client("sesv2").create_configuration_set(ConfigurationSetName="cli-set")
    arn = f"{PREFIX}:configuration-set/cli-set"
    assert (
        ok(
            aws(
                live, "sesv2", "tag-resource", "--resource-arn", arn, "--tags", "Key=team,Value=ops"
            )
        )
        is None
    )
    assert ok(aws(live, "sesv2", "list-tags-for-resource", "--resource-arn", arn)) == {
        "Tags": [{"Key": "team", "Value": "ops"}]
    }
    refused = aws(
        live, "sesv2", "untag-resource", "--resource-arn", f"{arn}x", "--tag-keys", "team"
    )
    assert refused.returncode != 0
    assert (
        "An error occurred (NotFoundException) when calling the UntagResource operation: "
        f"Resource not found: {arn}x" in refused.stderr
    )
