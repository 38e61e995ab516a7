"""SES configuration sets: the sets themselves, v1's options on them and v2's partial update."""
