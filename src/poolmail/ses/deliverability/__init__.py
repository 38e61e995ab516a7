"""SES v2 Deliverability dashboard: the subscription (``dashboard``), predictive inbox
placement tests (``test_reports``), and the domain reports computed from the mailbox
(``campaigns``)."""
