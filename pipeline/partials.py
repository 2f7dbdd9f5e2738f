"""Hidden `.NAME.partial-PID` files and folders: what a write leaves when its process is killed mid-way (SIGKILL
cannot clean up), removed by a later write once process PID is gone."""

import contextlib
import os
import shutil
from pathlib import Path


def remove_stale_partials(folder: Path, pattern: str) -> None:
    """Remove the entries of `folder` matching `pattern` (a glob ending in `.partial-*` or `.old-*`) whose process
    is gone."""
    if not folder.is_dir():
        return
    for stale in folder.glob(pattern):
        if not is_alive(stale.name.rpartition("-")[2]):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):  # a read-only folder (a shared cache): left for its owner
                    stale.unlink(missing_ok=True)


def is_alive(pid: str) -> bool:
    """Whether process `pid` runs on this machine (a run still writing its partial file or folder)."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:  # another user's process
        return True
    return True
