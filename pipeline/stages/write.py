"""Write an output folder atomically: everything goes to a hidden sibling, which is renamed into place at the end.

An interrupted run leaves only the hidden `.NAME.partial-PID` folder, never a half dataset at NAME; the next write
of NAME on this machine removes it once process PID is gone (a run killed by SIGKILL cannot clean up itself).
"""

import glob
import json
import os
import shutil
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.partials import remove_stale_partials
from pipeline.stages.swap import one_swap_at_a_time, signals_held, swap

PARQUET_FOLDER = "data"  # --shard-format parquet: the shards' folder in OUT
PUBLISHED: list[Path | str] = []  # the outputs this process has swapped into place or uploaded, for the CLI's word
# on an interrupt


def write_atomically(out: Path, fill: Callable[[Path], None]) -> None:
    """Call `fill(tmp)` to populate a temporary folder, then replace `out` with it in one rename.

    Only an empty folder or an earlier prep output (a manifest.json that prep wrote) is ever replaced.
    """
    out = check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for kind in ("partial", "old"):  # "old": an earlier output that a run killed mid-swap left
        remove_stale_partials(out.parent, f".{glob.escape(out.name)}.{kind}-*")
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    retired = None
    try:
        fill(partial)
        with one_swap_at_a_time(out.parent):
            _check_replaceable(out)  # again: another run may have written there while this one filled its folder
            with signals_held():  # an interrupt that comes now is raised once the swap is done and said
                retired = swap(partial, out)
                PUBLISHED.append(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)


def check_out(out: Path | str) -> Path:
    """`out` resolved, where prep may write its folder (checked before a run as well as at its end): a new path
    under folders, an empty folder, or an earlier prep output."""
    out = Path(out).resolve()  # "." has no name to put a sibling beside
    blocking = next((parent for parent in out.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise ConfigError(f"--out {out}: {blocking} is a file, not a folder")
    # The hidden sibling is made, and an earlier output renamed, in the nearest folder that exists.
    folder = next(parent for parent in out.parents if parent.exists())
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out}: {folder} is not writable; choose a folder you can write in")
    if folder == out.parent:  # read while no other run swaps its output in: mid-swap it is not there
        with one_swap_at_a_time(folder):
            _check_replaceable(out)
    return out


def _check_replaceable(out: Path) -> None:
    manifest = prep_manifest(out / "manifest.json")
    if out.exists() and manifest is None and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out {out} exists and is not an earlier prep output (no prep manifest.json); "
                          "choose a new or empty folder")
    if manifest is not None:
        try:
            found = written_files(out)
        except OSError as error:
            raise ConfigError(f"--out {out}: cannot list it ({error.strerror or error})") from None
        check_own_files(str(out), found, manifest)


def written_files(folder: Path) -> list[str]:
    """The files under `folder`, as paths relative to it (a flag output's train/<type>.jsonl, Parquet's data/...)."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if not path.is_dir())


def check_own_files(out: str, found: list[str], manifest: dict) -> None:
    """Refuse to replace an earlier output that holds files its manifest does not list as written (`files`, paths
    relative to it): a user's notes, a training run's checkpoints saved into it. Hidden files (.DS_Store) and the
    cache files `datasets` writes beside a dataset it maps or shuffles (cache-*.arrow) are replaced with it. An
    output from before manifests listed their files claims everything in it."""
    listed = set(manifest.get("files", found))
    foreign = [path for path in found if path not in listed and not replaceable(path)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        them = "it" if len(foreign) == 1 else "them"
        raise ConfigError(f"--out {out} is an earlier prep output that also holds {shown}, which prep did not "
                          f"write: replacing the output would delete {them}. Move {them} out, or choose another --out")


def replaceable(path: str) -> bool:
    parts = path.split("/")
    return any(part.startswith(".") for part in parts) or fnmatch(parts[-1], "cache-*.arrow")


def prep_manifest(source: Path | str | bytes) -> dict | None:
    """The content of a manifest.json that prep wrote (it names prep among its packages and has per-stage counts),
    read from a path or given as its content; None for any other (a browser extension's, a web app's), whose
    folder is never replaced."""
    try:
        manifest = json.loads(source.read_bytes() if isinstance(source, Path) else source)
    except (OSError, ValueError):
        return None
    prep = isinstance(manifest, dict) and "prep" in (manifest.get("packages") or {}) and "stages" in manifest
    return manifest if prep else None


def is_prep_manifest(source: Path | str | bytes) -> bool:
    return prep_manifest(source) is not None


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=False) + "\n", encoding="utf-8")
