"""What poolmail hands to other AWS services (DESIGN.md "Other AWS services"): records
stored first in an outbox, then delivered (botocore's serialisers, no boto3) to
`--aws-endpoint-url`."""
