"""What poolmail hands to other AWS services (DESIGN.md "Other AWS services"): records
stored first in an outbox, then delivered through boto3 to `--aws-endpoint-url`."""
