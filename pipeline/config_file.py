"""The TOML config file (`--config prep.toml`) merged with a command's defaults and flags into a RunConfig. An error
that the file causes names the file, its table and key; one that the flags cause alone reads as it would without it.
"""

import difflib
import tomllib
from dataclasses import fields, replace
from pathlib import Path

from pipeline.config import RunConfig
from pipeline.errors import ConfigError

TABLES = {table.name: tuple(key.name for key in fields(table.type)) for table in fields(RunConfig)}
# the flags that name a model or a folder, by their table and key in the config file
PATHS = {"--model": ("encoder", "model"), "--teacher": ("layout", "teacher"), "--cache-dir": ("encoder", "cache_dir")}
_TOML_KINDS = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array"}


def load_run_config(path: Path | None, overrides: dict[str, dict[str, object]],
                    defaults: dict[str, dict[str, object]] | None = None) -> RunConfig:
    """The command's `defaults`, then TOML values, then flags that were given (None means not given); unknown keys
    are errors."""
    loaded = read_config_file(path) if path is not None else {}
    given = {table: {key: value for key, value in overrides.get(table, {}).items() if value is not None}
             for table in TABLES}
    config = RunConfig()
    for table, legal in TABLES.items():
        command = {**(defaults or {}).get(table, {}), **given[table]}
        if set(command) - set(legal):
            raise ConfigError(f"unknown {table} setting(s) {sorted(set(command) - set(legal))}; legal: {sorted(legal)}")
        current = getattr(config, table)
        try:
            values = replace(current, **{**command, **{k: v for k, v in loaded.get(table, {}).items()
                                                      if k not in given[table]}})
        except ConfigError as error:
            raise _named(error, path, table, current, command) from None
        config = replace(config, **{table: values})
    group_size = config.layout.group_size
    if group_size is not None and group_size - 1 != config.mining.negatives:
        from_file = {key for table in ("mining", "layout") for key in loaded.get(table, {}) if key not in given[table]}
        if "negatives" in from_file | set(given["mining"]):
            where = f"{path}: " if from_file & {"negatives", "group_size"} else ""
            raise ConfigError(f"{where}group_size {group_size} means {group_size - 1} negatives per query; "
                              f"negatives says {config.mining.negatives}: give one of them")
        config = replace(config, mining=replace(config.mining, negatives=group_size - 1))
    return config


def path_sources(path: Path | None, overrides: dict[str, dict[str, object]]) -> dict[str, str]:
    """What an error about each model or folder names (found only when it loads or is written): its flag
    (`--model`), or where the config file set it and the flag did not, the file, table and key
    (`prep.toml: [encoder] model`)."""
    loaded = read_config_file(path) if path is not None else {}
    return {flag: f"{path}: [{table}] {key}" if key in loaded.get(table, {}) and
            overrides.get(table, {}).get(key) is None else flag for flag, (table, key) in PATHS.items()}


def _named(error: ConfigError, path: Path | None, table: str, current: object, command: dict) -> ConfigError:
    """The error, naming the file and table where the command's defaults and flags alone are valid (the file's
    values then caused it); where they are not, as it is."""
    if path is None:
        return error
    try:
        replace(current, **command)
    except ConfigError:
        return error
    return ConfigError(f"{path}: [{table}] {str(error).removeprefix(f'{table}.')}")


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
