"""How SES authenticates the mail it sends: DKIM keys and signatures (``dkim*``), and the
custom MAIL FROM domain (``mail_from``)."""
