"""What happens to SES mail after the send, told to others: configuration-set event
destinations (``destinations``, ``records``) and identity notifications
(``notifications``), both fed by ``publishing``."""
