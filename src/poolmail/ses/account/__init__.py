"""The SES account per region: quotas and sending state, account attributes and
statistics, reputation entities, multi-region endpoints and resource tags."""
