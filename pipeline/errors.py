"""Errors that the CLI turns into one clear line and exit code 2."""

import re
from pathlib import Path


class PrepError(Exception):
    """Base class for errors caused by the user's input or configuration, not by a bug."""


class ConfigError(PrepError):
    """A flag or config value is not one of the legal values."""


class InputError(PrepError):
    """A problem in an input file, located by file, line or row, and field."""

    def __init__(self, path: Path | str, message: str, *, line: int | None = None,
                 row: int | None = None, field: str | None = None) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        elif row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.row, self.field = Path(path), line, row, field


def shown(out: str | Path) -> str:
    """A path or URI as messages print it: without the credentials a URI may hold (s3://KEY:SECRET@bucket/path; an
    AWS secret may hold '/', which ends a URI's host part, so all up to its last '@' goes)."""
    return re.sub(r"^([a-zA-Z][\w+.-]*://)[^@]*@", r"\1***@", str(out))


def missing(path: Path, what: str = "file or folder") -> InputError:
    """An input path that does not exist. The command line makes a path of a URI (s3://b/x as s3:/b/x): name it as
    given, and say that prep reads local inputs (only --out may be a URI)."""
    uri = re.fullmatch(r"([a-z][a-z0-9+.-]+):/([^/].*)", str(path))
    if uri and uri[1] == "file":
        return InputError(f"file:///{uri[2]}", f"give the local path (/{uri[2]}), not a file:// URI")
    if uri:
        return InputError(shown(f"{uri[1]}://{uri[2]}"), "prep reads its inputs from local files; copy it here first "
                          "(only --out may be a URI)")
    return InputError(path, f"no such {what}")
