"""Operations run on the event loop, and the commits their writes share.

A short, local operation on SQLite (a read, a send) costs 0.1-0.3 ms of CPU; handing it
to a worker thread and back costs about as much again, so the pipeline runs such work on
the event loop itself (see ``Inline.eligible``). Its writes, though, end with a COMMIT
that waits for the disk (an fsync, 0.3-0.6 ms here), and one commit per request made the
disk, not the CPU, the limit of every write.

So the writes of an inline operation are left uncommitted (``Database.deferred_commits``)
and committed once the loop has run every other request that was ready in the same round
(``call_soon``): requests that arrived together write together and share one fsync.
Nobody is answered before the commit that holds their writes has returned, so durability
is what it was; only the number of fsyncs per request goes down. A request alone pays
one extra turn of the loop (microseconds).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from poolmail.context import RequestContext
from poolmail.operations import Handler, LeaveLoop, is_local_only, running_on_loop
from poolmail.store import Database, PendingCommit

T = TypeVar("T")

# Requests up to this size may run on the event loop; a bigger one (a raw message with
# attachments, say) may take long enough to hold the other requests up.
INLINE_BODY_BYTES = 64 * 1024


class Inline:
    """Runs operations for one server: on the loop where that pays, in a thread if not."""

    def __init__(self, db: Database, *, relay: bool) -> None:
        self._db = db
        self._relay = relay
        # The commit the loop's writes of this round join, and the groups it covers.
        self._next: asyncio.Future[None] | None = None
        self._next_batches: set[int] = set()

    def eligible(self, handler: Handler, body: bytes) -> bool:
        """Whether ``handler`` may run on the event loop at all.

        Everything that may wait on the network (PostgreSQL, the SMTP relay) or compute
        for long (big messages) goes to a worker thread.
        """
        return (
            self._db.local
            and not self._relay
            and len(body) <= INLINE_BODY_BYTES
            and is_local_only(handler)
        )

    async def run(
        self, handler: Handler, context: RequestContext, params: dict[str, Any], body: bytes
    ) -> dict[str, Any]:
        if not self.eligible(handler, body) or not self._db.quiet():
            # A worker thread's transaction holds the store: waiting for it on the loop
            # would hold up every other request.
            return await run_in_threadpool(handler, context, params)
        failure: BaseException | None = None
        result: dict[str, Any] = {}
        with self._db.deferred_commits() as pending, running_on_loop():
            try:
                result = handler(context, params)
            except BaseException as error:  # answered below, once earlier writes commit
                failure = error
        if pending.batches:
            await self._make_durable(pending)
        if isinstance(failure, LeaveLoop):
            # The handler met a pool with Lambda triggers before its first write: a
            # function may take seconds, which the loop must not wait for.
            return await run_in_threadpool(handler, context, params)
        if failure is not None:
            raise failure
        return result

    async def read(self, read: Callable[[], T]) -> T:
        """A short read of the admin API (one message, its events): on the event loop
        when the store is local and free, in a worker thread otherwise."""
        if self._db.local and self._db.quiet():
            return read()
        return await run_in_threadpool(read)

    async def _make_durable(self, pending: PendingCommit) -> None:
        if self._next is None:
            loop = asyncio.get_running_loop()
            self._next = loop.create_future()
            # call_soon runs after the callbacks already due in this round of the loop:
            # the other requests that are ready now write before the commit.
            loop.call_soon(self._commit)
        self._next_batches.update(pending.batches)
        await asyncio.shield(self._next)

    def _commit(self) -> None:
        done, batches = self._next, sorted(self._next_batches)
        self._next, self._next_batches = None, set()
        assert done is not None
        try:
            self._db.make_durable(PendingCommit(batches))
        except Exception as error:
            done.set_exception(error)
        else:
            done.set_result(None)
