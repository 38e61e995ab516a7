"""The sample project is run by test_sample_project.py as a project of its own, never
collected with this suite."""

collect_ignore = ["sample"]
