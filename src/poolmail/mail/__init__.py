"""The mailbox: every message SES accepted or refused, with its sending events."""
