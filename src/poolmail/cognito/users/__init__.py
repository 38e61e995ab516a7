"""Users of a pool: records, sign-up, codes, passwords, groups, ListUsers' search."""
