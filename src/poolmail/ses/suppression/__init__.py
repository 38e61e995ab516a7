"""The SES v2 suppression list: the account's and a configuration set's settings, the
listed addresses, and what a send to one of them becomes."""
