"""Where the commands write: --json/--html files and OUT folders (local, or an object store by a staging folder),
kept apart from the paths they read."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pipeline.cli_app import console
from pipeline.errors import ConfigError, shown
from pipeline.partials import remove_stale_partials


def check_not_input(path: Path | None, option: str, inputs: dict[str, Path | None]) -> None:
    """Refuse a --json or --html file that is an input, or inside an input folder (a BEIR folder's queries.jsonl):
    the report would overwrite the data it describes."""
    if path is None:
        return
    if path.name in ("", "..") or path.expanduser().is_dir():  # `.`, `/`: no file name to write, after all the work
        raise ConfigError(f"{option} {path} is a folder; give a file name")
    target = path.expanduser().resolve()
    for name, source in inputs.items():
        if source is None:
            continue
        read = source.expanduser().resolve()
        if target == read:
            raise ConfigError(f"{option} {path} is {name}: writing it would overwrite the input; choose another file")
        if read.is_dir() and target.is_relative_to(read):
            raise ConfigError(f"{option} {path} is inside {name}, a folder that is read: writing it could overwrite "
                              "the input; choose a file outside it")


def write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as error:  # mkdir under a file says only "File exists": name the file
        if partial.is_file():
            partial.unlink()
        blocking = next((parent for parent in path.parents if parent.is_file()), None)
        reason = f"{blocking} is a file, not a folder" if blocking else error.strerror
        raise ConfigError(f"cannot write {path}: {reason}") from None
    console.print(f"wrote {path}")


def write_out(out: str, produce: Callable[[Path], dict], inputs: dict[str, Path | str | None],
              names: dict[str, str] | None = None) -> dict:
    """`produce(folder)` writes the output into OUT; for an object-store URI into a local staging folder, published
    to OUT afterwards (the URI is checked before the run, as a local --out is). `inputs` names the paths the command
    reads by their flags, which a local OUT must keep apart from; `names` what an error calls a flag set in the config
    file (`config_file.path_sources`)."""
    from pyarrow import fs

    from pipeline.publish import check_uri, is_uri, publish
    from pipeline.stages.write import PUBLISHED

    if not out:  # an unset shell variable: Path("") is the working directory
        raise ConfigError("--out is an empty path; give the output folder")
    if not is_uri(out):
        check_apart(Path(out), inputs, names)
        return produce(Path(out))
    filesystem, root, _ = check_uri(out, before_run=True)
    if isinstance(filesystem, fs.LocalFileSystem):  # file://: published over, it would lose an input inside it
        check_apart(Path(root), inputs, names)  # the path as pyarrow decodes it (%20 is a space)
    remove_stale_partials(Path(tempfile.gettempdir()), "prep-out-*.partial-*")  # those of killed runs (SIGKILL)
    with tempfile.TemporaryDirectory(prefix="prep-out-", suffix=f".partial-{os.getpid()}") as staging:
        manifest = produce(Path(staging) / "out")
        PUBLISHED.clear()  # the staging folder, which is not the output
        publish(Path(staging) / "out", out)
        PUBLISHED.append(shown(out))
    return manifest


def check_apart(out: Path, inputs: dict[str, Path | str | None], names: dict[str, str] | None = None) -> None:
    """Refuse an OUT that is or holds the working directory, or is, holds or lies in an input path: OUT is replaced
    whole at the end, which would delete an input inside it (and leave the shell in a deleted folder), and an OUT
    inside a data folder becomes part of that data on its next read (a model or cache folder is not read whole: an
    OUT inside it is fine). Paths that do not exist (a hub model name) have nothing to
    lose, except the cache folder, which the run creates (inside OUT, the end of the run would delete it)."""
    out = out.expanduser().resolve()
    here = Path.cwd()
    if out == here or out in here.parents:  # replaced by a new folder, the shell would be left in a deleted one
        raise ConfigError(f"--out {out} {'is' if out == here else 'holds'} the working directory, which the output "
                          "would replace: choose an --out outside it")
    for option, name in inputs.items():
        if name is None or not (option == "--cache-dir" or Path(name).expanduser().exists()):
            continue
        path = Path(name).expanduser().resolve()
        if path == out or out in path.parents or (path in out.parents and option in ("DATA", "--corpus")):
            relation = "is" if path == out else "holds" if out in path.parents else "lies inside"
            named = (names or {}).get(option, option)
            raise ConfigError(f"--out {out} {relation} {named} {path}: choose an --out apart from the inputs")
