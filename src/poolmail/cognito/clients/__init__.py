"""App clients: their records and secrets, client metadata documents, resource servers and terms."""
