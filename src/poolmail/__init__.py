"""poolmail: a local, faithful stand-in for Amazon Cognito user pools with Amazon SES."""

__version__ = "0.1.0"
