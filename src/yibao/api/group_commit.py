"""Group commit for real-time settlement: the claims that arrive while a transaction is being
written are settled together in the next one.

A settlement's cost in the store is mostly per transaction (round trips, the commit's WAL
flush); one transaction for the claims that queued meanwhile makes that cost per batch, and
the batch grows by itself with the load: alone a claim is settled at once, under load each
transaction carries what arrived during the previous one. Each claim keeps its own result and
guarantees (``store.settle_batch``); nobody is answered before the commit that holds their
claim.

One queue per server process and one writer thread: batches of a process are written one
after another; processes (uvicorn workers) serialise per person-year on the row locks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from yibao.policy import PolicyLibrary
from yibao.store import settle_batch
from yibao.store.audit import Actor
from yibao.store.settle_batch import Outcome, SettleRequest

# Largest batch per transaction: bounds a transaction's lock time and size under a burst.
MAX_BATCH = 64


@dataclass
class _Waiting:
    request: SettleRequest
    future: asyncio.Future[Outcome]


class SettlementQueue:
    """``await queue.settle(row, actor)``: the claim's Outcome, or its error raised."""

    def __init__(
        self,
        engine: Engine,
        library: Callable[[], PolicyLibrary],
        max_batch: int = MAX_BATCH,
    ) -> None:
        """``library`` gives the policy library in force (a reload replaces it)."""
        self._engine = engine
        self._library = library
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._draining = False
        # The running drain task: held so that it cannot be garbage-collected mid-batch.
        self._drainer: asyncio.Task[None] | None = None
        self._writer: ThreadPoolExecutor | None = None

    async def settle(self, row: dict[str, Any], actor: Actor) -> Outcome:
        loop = asyncio.get_running_loop()
        waiting = _Waiting(SettleRequest(row, actor), loop.create_future())
        self._waiting.append(waiting)
        if not self._draining:
            self._draining = True
            if self._writer is None:  # made on first use; close() ends it (server shutdown)
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="yibao-settle")
            self._drainer = loop.create_task(self._drain())
        # shield: a client that goes away does not cancel the claim's place in the batch.
        return await asyncio.shield(waiting.future)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                requests = [w.request for w in batch]
                try:
                    results: list[Any] = await loop.run_in_executor(
                        self._writer, settle_batch.run, self._engine, self._library(), requests
                    )
                except Exception as exc:  # handed to every waiter
                    results = [exc] * len(batch)
                for waiting, result in zip(batch, results, strict=True):
                    if waiting.future.done():
                        continue
                    if isinstance(result, BaseException):
                        waiting.future.set_exception(result)
                    else:
                        waiting.future.set_result(result)
        finally:
            self._draining = False

    def close(self) -> None:
        """Wait for the batch being written, then end the writer thread."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)
