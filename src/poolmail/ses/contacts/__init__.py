"""SES v2 contact lists: lists and their topics, contacts and their subscription
preferences, and the list management of sends (unsubscribe headers, links, opt-outs)."""
