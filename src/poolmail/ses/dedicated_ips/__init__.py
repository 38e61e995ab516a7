"""SES v2 dedicated IPs: the account's pools (``pools``), its IPs, their warm-up and the
IP a send goes out from (``ips``)."""
