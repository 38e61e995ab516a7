"""Federation: identity providers of a pool and the users linked to them."""
