"""Errors that the CLI turns into one clear line and exit code 2."""

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
