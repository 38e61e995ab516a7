"""Whether an SNS topic exists, asked of the SNS endpoint (`--sns-endpoint-url`, else
`--aws-endpoint-url`) the way SES checks an SNS event destination when it is created.

The call goes through poolmail's own small client (aws_services/clients.py), loaded at
first use; it runs on the request's worker thread (the event destination operations are
not ``local_only``).
"""

from __future__ import annotations

import logging

from poolmail.aws_services import outbox
from poolmail.config import Settings

log = logging.getLogger("poolmail.ses.events")

# An SNS topic ARN: arn:aws:sns:<region>:<account>:<name> (names: 1-256 letters, digits,
# `-`, `_`; `.fifo` for FIFO topics).
TOPIC_ARN = r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"


def topic_exists(settings: Settings, arn: str) -> bool | None:
    """True or False as the SNS endpoint answers GetTopicAttributes; None when there is no
    endpoint, or it cannot be reached (then nothing can be checked).

    Choice: any error SNS answers (NotFound, AuthorizationError, InvalidParameter) counts
    as "not found": SES cannot publish to a topic it cannot read either.
    """
    url = outbox.endpoint_for(settings, "sns")
    if url is None:
        return None
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from poolmail.aws_services import clients

    region = arn.split(":")[3]
    config = Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1})
    try:
        client = clients.client("sns", endpoint_url=url, region_name=region, config=config)
        client.get_topic_attributes(TopicArn=arn)
    except ClientError:
        return False
    except BotoCoreError as failure:
        log.info("SNS at %s could not be asked about %s: %s", url, arn, failure)
        return None
    return True
