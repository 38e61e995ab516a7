"""SES identities: addresses and domains, their verification (the mailed link, DNS,
custom verification emails), which identity covers an address, sending-authorisation
policies and S/MIME certificates."""
