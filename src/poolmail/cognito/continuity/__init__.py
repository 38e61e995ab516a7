"""A pool beyond one region and one moment: replicas and point-in-time recovery."""
