"""SES v2 insights computed from poolmail's sending history (the mailbox): a message's
insights, an address's, VDM metrics, and the account's recommendations."""
