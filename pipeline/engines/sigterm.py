"""SIGTERM during a Ray run: unwind and exit as a terminated process does, instead of Ray's crash handler."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """Within the block a SIGTERM raises SystemExit(143), so the run unwinds (temporary output removed, Ray shut
    down). ray.init routes SIGTERM through a crash handler that aborts the process (exit 134, a stack dump) when
    the shutdown takes over 3 seconds. Off the main thread, where Python cannot set a handler, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
