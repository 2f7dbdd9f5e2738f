"""Swapping a finished output folder into place: one run at a time, and never cut in two by a signal."""

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


@contextmanager
def one_swap_at_a_time(folder: Path) -> Iterator[None]:
    """An exclusive lock on `folder` (flock), so that two runs writing one --out swap in turn: interleaved, one
    run's rename found the other's half-done swap and failed after all its work (306 of 400 writes by 4 processes
    in a loop). Where the folder cannot be locked (not readable; NFS, SMB or Lustre refuse flock on a folder), the
    swap goes on without the lock, as it did before it."""
    import fcntl

    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError as error:  # EBADF, ENOLCK, ENOSYS, EOPNOTSUPP: this filesystem does not lock folders
            log.debug("no lock on %s (%s): the swap goes on without it", folder, error.strerror or error)
        yield
    finally:
        os.close(handle)  # releases the lock


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done, then come as they came: between the swap's two renames an
    interrupt left no output at OUT, and the next run removed the retired one as stale. In the main thread only,
    where Python runs its handlers (a C-level block would not do: any thread can take the signal)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    before = {number: signal.signal(number, lambda signum, frame: came.append(signum)) for number in held}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)  # None: set outside Python
        for number in came[:1]:
            signal.raise_signal(number)


def swap(partial: Path, out: Path) -> Path | None:
    """`partial` renamed to `out`; returns the earlier output, retired under a hidden name, for the caller to
    remove once the lock is released (it may be gigabytes)."""
    if not out.exists():
        partial.rename(out)
        return None
    retired = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(retired)
    try:
        partial.rename(out)
    except BaseException:
        retired.rename(out)  # the earlier output back in place
        raise
    return retired
