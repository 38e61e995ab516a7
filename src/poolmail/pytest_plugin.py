"""poolmail's pytest plugin (entry point `pytest11`): being built (issue 19)."""
