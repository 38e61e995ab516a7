"""`poolmail integrate` and `poolmail doctor`: boto3 only, so they serve real AWS and
poolmail alike."""
