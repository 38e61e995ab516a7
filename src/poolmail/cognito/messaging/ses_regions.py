"""Which SES regions a user pool may name in ``EmailConfiguration.SourceArn``, as data.

The table is AWS's, from the Cognito developer guide's "Amazon SES Regions" section
(user-pool-email.md, the 2023-06 revision; AWS_FACTS §3). A pool region missing from it
may use SES in its own region only.
"""

from __future__ import annotations

# The three regions Cognito used for SES when it launched; most pool regions may still
# use them ("continuity for user pool resources ... created ... when the service launched").
_LEGACY = ("us-east-1", "us-west-2", "eu-west-1")

# Pool region -> the SES regions its SourceArn may name, in the order the guide lists them.
SES_REGIONS_FOR_POOL: dict[str, tuple[str, ...]] = {
    "us-east-1": _LEGACY,
    "us-east-2": ("us-east-2", *_LEGACY),
    "us-west-1": ("us-west-1",),
    "us-west-2": _LEGACY,
    "ca-central-1": ("ca-central-1", *_LEGACY),
    "ap-northeast-1": ("ap-northeast-1", *_LEGACY),
    "ap-northeast-2": ("ap-northeast-2", *_LEGACY),
    "ap-south-1": ("ap-south-1", *_LEGACY),
    "ap-southeast-1": ("ap-southeast-1", *_LEGACY),
    "ap-southeast-2": ("ap-southeast-2", *_LEGACY),
    "eu-west-1": _LEGACY,
    "eu-west-2": ("eu-west-2", *_LEGACY),
    "eu-west-3": ("eu-west-3",),
    "eu-central-1": ("eu-central-1", *_LEGACY),
    "eu-north-1": ("eu-north-1",),
    # Present only in the 2023-06 revision of the table.
    "eu-south-1": ("eu-south-1",),
    "me-south-1": ("me-south-1",),
    "sa-east-1": ("sa-east-1",),
}


def allowed_ses_regions(pool_region: str) -> tuple[str, ...]:
    """The SES regions a pool in ``pool_region`` may send through."""
    # Not found: the current table for regions launched after 2023 (ap-southeast-3,
    # il-central-1, ...). Their own region only is the safe inference (AWS_FACTS §3).
    return SES_REGIONS_FOR_POOL.get(pool_region, (pool_region,))


def is_allowed(pool_region: str, ses_region: str) -> bool:
    return ses_region in allowed_ses_regions(pool_region)
