"""A user pool's settings: the pool itself, its schema, plan, quotas, domains, logs and policies."""
