"""SES v2 import and export jobs: their requests and states (``store``), the files they
read and write (``objects``), the operations (``import_jobs``, ``export_jobs``) and the
background work that runs them (``runner``)."""
