"""The background work that runs SES import and export jobs, one at a time, oldest
first: CREATED -> PROCESSING -> COMPLETED or FAILED (or CANCELLED by CancelExportJob).

The server runs ``run_pending_jobs`` as a background job (server/admin/ses_objects_api.py)
under the cluster-wide lock every background job holds, so one replica runs jobs at a
time; a job found PROCESSING was left by a runner that died, and runs again. An import
applies whole batches, each counted with the records it changed, and putting or deleting
an address twice changes nothing more, so running again is safe.
"""

from __future__ import annotations

import logging

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.ses.jobs import export_jobs, import_jobs, store
from poolmail.ses.jobs.objects import ObjectError
from poolmail.ses.jobs.records import FileError
from poolmail.ses.jobs.store import CREATED, FAILED, PROCESSING, Job
from poolmail.store import Database

log = logging.getLogger("poolmail.ses.jobs")

# How often the server looks for new jobs (seconds): a job starts within about this.
POLL_SECONDS = 0.5


def run_pending_jobs(db: Database, clock: Clock, settings: Settings) -> int:
    """Run every job still to run; the number run."""
    ran = 0
    while (job := _claim(db)) is not None:
        _run(db, clock, settings, job)
        ran += 1
    return ran


def _claim(db: Database) -> Job | None:
    with db.transaction(readonly=True) as tx:
        found = store.claim_next(tx)
    if found is None:
        return None
    with db.transaction(lock=store.lock_name(found.id)) as tx:
        job = store.find(tx, found.id)
        if job is not None and job.status == CREATED:
            job.status = PROCESSING
            store.save(tx, job)
    if job is None or job.status != PROCESSING:
        return _claim(db)  # cancelled between the two reads: look again
    return job


def _run(db: Database, clock: Clock, settings: Settings, job: Job) -> None:
    work = import_jobs.run if job.kind == "import" else export_jobs.run
    try:
        work(db, clock, settings, job)
    except (ObjectError, FileError) as exc:
        _fail(db, clock, job, str(exc))
    except Exception:
        # A fault of poolmail's: the job fails rather than running again forever.
        log.exception("SES %s job %s failed", job.kind, job.id)
        _fail(db, clock, job, "An internal error occurred while processing the job.")


def _fail(db: Database, clock: Clock, job: Job, message: str) -> None:
    with db.transaction(lock=store.lock_name(job.id)) as tx:
        current = store.running(tx, job.id)
        if current is None:
            return
        current.status, current.completed_at = FAILED, clock.now().timestamp()
        current.data["FailureInfo"] = {"ErrorMessage": message}
        store.save(tx, current)
