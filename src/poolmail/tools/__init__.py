"""`poolmail integrate` and `poolmail doctor`: botocore clients only, so they serve real AWS
and poolmail alike; and `poolmail env`, which points the AWS SDKs at poolmail."""
