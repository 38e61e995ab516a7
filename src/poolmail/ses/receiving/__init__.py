"""SES email receiving (v1 only): receipt rule sets, rules and IP filters
(``rule_sets``, ``rules``, ``filters``), and what mail arriving on the SMTP listener for a
verified domain goes through (``inbound``)."""
