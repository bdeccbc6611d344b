"""Admitting deciding work: two lanes, fair queues, and work that stops when told.

A call is *light* when it is one request in a small body (``Limits.light_body`` bytes): it
costs at most one decision, a few milliseconds to ~0.1 s. Anything else (a list of
requests, a large body) is *heavy*. Each kind has its own :class:`Lane` of worker slots
and its own queue, so a cheap decision never waits behind lists of a thousand requests.

Within a lane the queue is served in turn by client address, not first come first
served: a client with thirty calls waiting gets one slot when it frees, then the next
client gets one, so one busy client cannot make another wait behind all of its calls.

Work runs in a worker thread and is told to stop (:class:`Stop`) when its answer can no
longer be given: its client disconnected, its time budget ran out (the caller has had
its 503), or the service is shutting down. Python cannot stop a thread from outside, so
the work checks :func:`stop_point` between units (the requests of a list); a single
decision is not interrupted, which bounds the delay by one decision.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.responses import JSONResponse

from .limits import Limits

T = TypeVar("T")


class Stopped(Exception):
    """The work was told to stop; its message says why."""


class Stop:
    """A request to stop the work done for one call, and its reason (set once)."""

    def __init__(self) -> None:
        self.reason = ""
        self._event = threading.Event()

    def set(self, reason: str) -> None:
        """Ask the work to stop because of ``reason`` (the first reason given is kept)."""
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def is_set(self) -> bool:
        """Whether the work has been asked to stop."""
        return self._event.is_set()


_current = threading.local()


def stop_point() -> None:
    """Raise :class:`Stopped` when the call this worker thread works for was told to stop.

    Outside work run by a :class:`Gate` this does nothing, so code that calls it can be
    used anywhere.
    """
    stop: Stop | None = getattr(_current, "stop", None)
    if stop is not None and stop.is_set():
        raise Stopped(stop.reason)


def _run_stoppable(stop: Stop, work: Callable[..., T], *args: Any) -> T:
    _current.stop = stop
    try:
        return work(*args)
    finally:
        _current.stop = None


class Lane:
    """``concurrent`` slots and a queue of at most ``queue`` waiting calls, served in turn
    by client (see the module documentation)."""

    def __init__(self, concurrent: int, queue: int) -> None:
        self.concurrent = concurrent
        self.queue = queue
        self.busy = 0
        self.waiting = 0
        self._waiters: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()

    def full(self) -> bool:
        """Whether a new call would be refused: every slot busy and the queue full."""
        return self.busy >= self.concurrent and self.waiting >= self.queue

    async def acquire(self, client: str) -> None:
        """Wait for a slot (the caller checked :meth:`full` first)."""
        if self.busy < self.concurrent and not self.waiting:
            self.busy += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(client, deque()).append(waiter)
        self.waiting += 1
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as the call went: pass it on
            else:
                self._forget(client, waiter)
            raise

    def _forget(self, client: str, waiter: asyncio.Future[None]) -> None:
        queue = self._waiters.get(client)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            self.waiting -= 1
            if not queue:
                del self._waiters[client]

    def release(self) -> None:
        """Give a slot back: to the next client in turn that is waiting, else free it."""
        while self._waiters:
            client, queue = next(iter(self._waiters.items()))
            waiter = queue.popleft()
            self.waiting -= 1
            if queue:
                self._waiters.move_to_end(client)  # its next call waits for the others
            else:
                del self._waiters[client]
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on: busy stays the same
                return
        self.busy -= 1


def _busy(message: str, detail: str, retry: float) -> JSONResponse:
    return JSONResponse({"error": message, "detail": detail}, status_code=503,
                        headers={"Retry-After": str(max(1, math.ceil(retry)))})


class Gate:
    """Runs deciding work within :class:`~ordinance.service.limits.Limits`: a light and a
    heavy :class:`Lane`, a time budget, and a :class:`Stop` for each call."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.light = Lane(limits.light_concurrent, limits.light_queue)
        self.heavy = Lane(limits.concurrent, limits.queue)
        self._running: set[Stop] = set()

    def lane(self, light: bool) -> Lane:
        """The lane a call of that kind runs in."""
        return self.light if light else self.heavy

    async def run(self, work: Callable[..., T], *args: Any, light: bool = False,
                  client: str = "", gone: Callable[[], Awaitable[bool]] | None = None,
                  disconnect: Callable[[], Awaitable[Any]] | None = None
                  ) -> T | JSONResponse:
        """``work(*args)`` in a worker thread, or the answer that refuses or ends it.

        Args:
            work: what to run; it may call :func:`stop_point` between units of work.
            light: run in the light lane (one request in a small body).
            client: the client's address, whose calls wait in turn with others'.
            gone: says whether the client has disconnected; asked when a slot is free,
                and if so the work is not started (499, to no one).
            disconnect: returns when the client disconnects; the work is then told to
                stop and the call answered 499.
        """
        lane = self.lane(light)
        if lane.full():
            return _busy("the service is busy",
                         f"{lane.busy} {'light' if light else 'heavy'} calls are being "
                         f"worked out and {lane.waiting} are waiting; try again shortly", 1)
        await lane.acquire(client)
        if gone is not None and await gone():
            lane.release()
            return JSONResponse({"error": "the client disconnected"}, status_code=499)
        stop = Stop()
        self._running.add(stop)
        future = asyncio.get_running_loop().run_in_executor(
            None, _run_stoppable, stop, work, *args)

        def finished(_: object) -> None:
            self._running.discard(stop)
            lane.release()

        future.add_done_callback(finished)
        watch = asyncio.ensure_future(disconnect()) if disconnect is not None else None
        try:
            waits: set[asyncio.Future[Any]] = {future} if watch is None else {future, watch}
            done, _ = await asyncio.wait(waits, timeout=self.limits.seconds,
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            # uvicorn cancels the calls still in flight when its grace after SIGTERM is
            # over: the work stops at its next stop point, and the caller is told why
            # (rather than the cancellation being logged as an error with a traceback).
            stop.set("the service is shutting down")
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            return _busy("the service is shutting down",
                         "the service was stopped before this call was decided; try "
                         "again when it is back", 5)
        finally:
            if watch is not None:
                watch.cancel()
        if future in done:
            try:
                return future.result()
            except Stopped as stopped:
                return _busy("stopped", str(stopped), 1)
        if watch is not None and watch in done:
            stop.set("the client disconnected")
            return JSONResponse({"error": "the client disconnected"}, status_code=499)
        stop.set("over the time budget")
        return _busy("over the time budget",
                     f"the decision took longer than {self.limits.seconds:g} s and was "
                     "stopped; send fewer requests or data items per call", 5)

    def stop_all(self, reason: str) -> None:
        """Tell all running work to stop (the service is shutting down)."""
        for stop in list(self._running):
            stop.set(reason)
