"""The TOML file itself: read, and each table and key checked to be one of RunConfig's, with a close match named."""

import difflib
import tomllib
from dataclasses import fields
from pathlib import Path

from pipeline.config import RunConfig
from pipeline.errors import ConfigError

TABLES = {table.name: tuple(key.name for key in fields(table.type)) for table in fields(RunConfig)}
_TOML_KINDS = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array"}


def read_config_file(path: Path) -> dict:
    """The TOML file, each table checked to be one of RunConfig's and a table (`mining = 3` or `[[mining]]` is a
    clear error, not a TypeError deep in the loader), and each key one of its settings."""
    try:
        loaded = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))  # a BOM (Windows editors) is no key
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    for table, value in loaded.items():
        home = [name for name, keys in TABLES.items() if table in keys and table not in TABLES]
        if home:
            tables = " or ".join(f"[{name}]" for name in home)
            raise ConfigError(f"{path}: {table} is outside any table; put it under {tables}")
        if table not in TABLES:
            raise ConfigError(f"{path}: [{table}]: {_unknown('table', table, tuple(TABLES))}")
        if not isinstance(value, dict):
            kind = _TOML_KINDS.get(type(value), type(value).__name__)
            raise ConfigError(f"{path}: [{table}] must be a table (a [{table}] line, then key = value lines), got "
                              f"{kind}")
        unknown = [key for key in value if key not in TABLES[table]]
        home = [name for name, keys in TABLES.items() if unknown[0] in keys] if unknown else []
        if home:
            tables = " or ".join(f"[{name}]" for name in home)
            raise ConfigError(f"{path}: {unknown[0]} belongs in {tables}, not [{table}]")
        if unknown:
            more = f" (and {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
            raise ConfigError(f"{path}: [{table}] {unknown[0]}: {_unknown('setting', unknown[0], TABLES[table], more)}")
    return loaded


def _unknown(kind: str, name: str, legal: tuple[str, ...], more: str = "") -> str:
    match = difflib.get_close_matches(name, legal, n=1)
    return f"unknown {kind}{more}; did you mean {match[0]}?" if match else \
        f"unknown {kind}{more}; the {kind}s are {', '.join(legal)}"
