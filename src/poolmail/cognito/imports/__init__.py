"""User import from a CSV file: the jobs (jobs.py), the file and its rows (rows.py), and the
runner that imports them in the background (runner.py)."""
