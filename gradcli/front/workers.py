"""--jobs: the pieces of a sweep or a batch computed in worker processes, the answers in order.

``Workers(jobs, build, recipe)`` maps a task over items: with one job in this
process, else in a pool of processes; either way the answers come back in the
order of the items, so what is written is the same bytes whatever ``--jobs``
is. At most ``2 * jobs`` pieces are out at once, so a slow reader (a pipe to
``less``) holds the work back instead of filling the memory.

A worker's state (a sweep's plan, a batch's values) is what ``build(recipe)``
returns: built once here and inherited where processes fork, else built again
in each worker from the recipe, which is plain data; so the same tasks also go
to a Dask distributed cluster (``--scheduler``, imported only then), each
worker building the state once. Local workers ignore Ctrl-C and
never write: the main process stops them (Ctrl-C, a closed standard output,
an error, the end) and says what is to be said, and on Linux a worker ends
with the main process even when it is killed outright.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import deque
from typing import Any, Callable, Iterable, Iterator

#: the state of the workers' tasks in this process (the main process's own, or a worker's)
_STATE: Any = None


def default_jobs() -> int:
    """All the cores this process may run on."""
    count = getattr(os, "process_cpu_count", None)  # Python 3.13
    if count is not None:
        return count() or 1
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Workers:
    """A context manager: ``map(task, items)`` in ``jobs`` processes (``task(state, item)``)."""

    def __init__(self, jobs: int, state: Any, build: Callable[[Any], Any], recipe: Any,
                 scheduler: str | None = None) -> None:
        global _STATE
        self.jobs = jobs
        self.build, self.recipe = build, recipe
        _STATE = self.state = state  # what build(recipe) gives
        self.scheduler = scheduler
        self.pool: Any = None
        self.client: Any = None
        self.pending: deque[Any] = deque()

    def __enter__(self) -> Workers:
        if self.scheduler is not None and self.jobs > 1:
            self.client = _connect(self.scheduler)
        elif self.jobs > 1:
            import multiprocessing

            try:
                sys.stdout.flush()  # a forked worker must not hold a copy of unwritten output
            except (OSError, ValueError):
                pass  # the output is gone; the main process says so
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            self.pool = _pool_class()(self.jobs, _start, (self.build, self.recipe, os.getpid()), context=context)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            try:
                self.client.cancel(list(self.pending))  # what was sent and not taken is not computed
            finally:
                self.client.close()
                self.client = None
        if self.pool is not None:
            self.pool.terminate()  # finished or not: no worker outlives the call
            self.pool.join()
            self.pool = None

    def map(self, task: Callable[[Any, Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """``task(state, item)`` for each item, in order."""
        if self.client is not None:
            window = 2 * max(1, sum(self.client.nthreads().values()))
            send: Callable[[Any], Any] = lambda item: self.client.submit(  # noqa: E731
                _remote, self.build, self.recipe, task, item, pure=False)
            take: Callable[[Any], Any] = lambda future: future.result()  # noqa: E731
        elif self.pool is not None:
            window = 2 * self.jobs
            send = lambda item: self.pool.apply_async(_run, (task, item))  # noqa: E731
            take = lambda result: result.get()  # noqa: E731
        else:
            for item in items:
                yield task(self.state, item)
            return
        pending = self.pending
        for item in items:
            pending.append(send(item))
            if len(pending) >= window:
                yield take(pending.popleft())
        while pending:
            yield take(pending.popleft())


def _pool_class() -> Any:
    """multiprocessing's Pool, less the spinning of its worker handler.

    CPython's handler thread wakes whenever the results' pipe holds data (``_get_sentinels``),
    so while a big result (a chunk's CSV, megabytes) is read from the pipe 64 KiB at a time,
    it loops: 1.4 s of the main process's 2.9 s of CPU time over a sweep of 1e7 points, time
    the workers could have had. It has to wake only when a worker ends (their own sentinels,
    kept) and when the pool's state or its cache of tasks changes (its change notifier).
    """
    from multiprocessing.pool import Pool

    class QuietPool(Pool):
        def _get_sentinels(self) -> list[Any]:
            notifier = getattr(self, "_change_notifier", None)
            return [notifier._reader] if notifier is not None else super()._get_sentinels()  # type: ignore[misc]

    return QuietPool


def _start(build: Callable[[Any], Any], recipe: Any, parent: int) -> None:
    """A worker's first step: leave signals to the main process, end with it, have the state."""
    global _STATE
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches every process; the main one stops us
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    sys.stdout = open(os.devnull, "w")  # nothing a worker does reaches standard output
    _end_with_parent(parent)
    if _STATE is None:  # not forked: build it from the recipe
        _STATE = build(recipe)


def _run(task: Callable[[Any, Any], Any], item: Any) -> Any:
    return task(_STATE, item)


def _connect(address: str) -> Any:
    """A Dask distributed client of the scheduler at ``address`` (--scheduler)."""
    from ..errors import GradcliError

    try:
        from distributed import Client
    except ImportError:
        raise GradcliError('--scheduler needs Dask: pip install "gradcli[dask]"') from None
    try:
        return Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise GradcliError(f"--scheduler {address}: cannot reach the scheduler ({e})") from None


#: a Dask worker's state: (the recipe's text, the state built from it)
_REMOTE: tuple[str, Any] = ("", None)


def _remote(build: Callable[[Any], Any], recipe: Any, task: Callable[[Any, Any], Any], item: Any) -> Any:
    """A task on a Dask worker: the state built from the recipe once per worker process, then the task."""
    global _REMOTE
    key = repr(recipe)
    if _REMOTE[0] != key:
        _REMOTE = (key, build(recipe))
    return task(_REMOTE[1], item)


def _end_with_parent(parent: int) -> None:
    """On Linux, have the kernel end this process when the main one ends, however it ends."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the main process ended before the call above
        os._exit(1)


class held_signals:
    """Ctrl-C, SIGTERM and SIGHUP wait while a piece of output is written, so the output ends
    with a whole piece (whole lines), never half of one."""

    SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}

    def __enter__(self) -> None:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)

    def __exit__(self, *exc: object) -> None:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, self.SIGNALS)
