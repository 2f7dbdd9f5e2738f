"""The TOML config file (`--config prep.toml`) merged with a command's defaults and flags into a RunConfig. An error
that the file causes names the file, its table and key; one that the flags cause names them as typed.
"""

import re
from dataclasses import replace
from pathlib import Path

from pipeline.config import RunConfig
from pipeline.config_toml import TABLES, read_config_file
from pipeline.errors import ConfigError

# every flag of prep run and prep convert that sets a config value, by its table and key in the config file
FLAGS = {
    "--model": ("encoder", "model"), "--cache-dir": ("encoder", "cache_dir"), "--backend": ("encoder", "backend"),
    "--tokenizer-workers": ("encoder", "tokenizer_workers"),
    "--negatives": ("mining", "negatives"), "--seed": ("mining", "seed"),
    "--relative-margin": ("mining", "relative_margin"), "--sampling": ("mining", "sampling"),
    "--given-sampling": ("mining", "given_sampling"),
    "--positive-neighbors": ("mining", "positive_neighbors"),
    "--trust-given-negatives": ("mining", "trust_given_negatives"),
    "--max-positive-rank": ("mining", "max_positive_rank"),
    "--dedupe-threshold": ("dedupe", "threshold"),
    "--layout": ("layout", "layout"), "--to": ("layout", "layout"), "--fill": ("layout", "fill"),
    "--allow-padding": ("layout", "allow_padding"), "--scores": ("layout", "scores"), "--binary": ("layout", "binary"),
    "--teacher": ("layout", "teacher"), "--group-size": ("layout", "group_size"),
    "--all-negatives": ("layout", "all_negatives"), "--shard-format": ("layout", "shard_format"),
    "--shard-rows": ("layout", "shard_rows"), "--positives": ("layout", "positives"),
    "--batch-size": ("layout", "batch_size"), "--leftover": ("layout", "leftover"),
    "--engine": ("engine", "name"), "--ray-address": ("engine", "address"), "--workers": ("engine", "workers"),
}
PATHS = ("--model", "--teacher", "--cache-dir")  # the flags that name a model or a folder
NEGATIVES = ("--negatives", "--group-size")  # either sets K, negatives = group_size - 1


def load_run_config(path: Path | None, flags: dict[str, object],
                    defaults: dict[str, dict[str, object]] | None = None) -> RunConfig:
    """The command's `defaults`, then TOML values, then the `flags` that were given (`{"--negatives": 5}`, one of
    FLAGS; None means not given); unknown keys are errors."""
    loaded = _paths_from_the_file(read_config_file(path), path) if path is not None else {}
    by_key = {FLAGS[flag]: (flag, value) for flag, value in flags.items() if value is not None}
    given = {table: {key: value for (home, key), (_, value) in by_key.items() if home == table}
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
            raise _named(error, path, table, current, command, _typed_flags(by_key, table)) from None
        config = replace(config, **{table: values})
    group_size = config.layout.group_size
    if group_size is not None and group_size - 1 != config.mining.negatives:
        from_file = {key for table in ("mining", "layout") for key in loaded.get(table, {}) if key not in given[table]}
        flags = set(given["mining"]) | set(given["layout"])
        if "negatives" in flags and "group_size" not in flags:  # a flag wins over the file
            return replace(config, layout=replace(config.layout, group_size=config.mining.negatives + 1))
        if "negatives" in flags or ("negatives" in from_file and "group_size" not in flags):
            message = (f"group_size {group_size} means {group_size - 1} negatives per query; negatives says "
                       f"{config.mining.negatives}: give one of them")
            typed = _typed_flags(by_key, "mining") | _typed_flags(by_key, "layout")
            if from_file & {"negatives", "group_size"}:
                raise ConfigError(f"{path}: {message}{_also_typed(message, typed)}")
            raise ConfigError(_naming_flags(message, typed))
        config = replace(config, mining=replace(config.mining, negatives=group_size - 1))
    return config


def _paths_from_the_file(loaded: dict, path: Path) -> dict:
    """Relative paths in the file are relative to its folder, as a flag's are to the working directory: the cache
    folder always, a model or teacher where that folder holds it (else it is a hub name, or a folder here)."""
    base = Path(path).parent
    resolved = {table: dict(values) for table, values in loaded.items()}
    for flag in PATHS:
        table, key = FLAGS[flag]
        value = resolved.get(table, {}).get(key)
        if not isinstance(value, str) or not value or value.startswith("~") or Path(value).is_absolute():
            continue
        if flag == "--cache-dir" or (base / value).exists():
            resolved[table][key] = str(base / value)
    return resolved


def path_sources(path: Path | None, flags: dict[str, object]) -> dict[str, str]:
    """What an error about each model or folder names (found only when it loads or is written): its flag
    (`--model`), or where the config file set it and the flag did not, the file, table and key
    (`prep.toml: [encoder] model`); under `--negatives`, what set K (`--group-size`, `[layout] group_size`)."""
    loaded = read_config_file(path) if path is not None else {}
    sources = {}
    for flag in PATHS:
        table, key = FLAGS[flag]
        sources[flag] = f"{path}: [{table}] {key}" if key in loaded.get(table, {}) and flags.get(flag) is None else flag
    filed = (f"{path}: [{table}] {key}" for table, key in map(FLAGS.get, NEGATIVES) if key in loaded.get(table, {}))
    given = (flag for flag in NEGATIVES if flags.get(flag) is not None)
    sources["--negatives"] = next(given, next(filed, "--negatives"))
    return sources


def _named(error: ConfigError, path: Path | None, table: str, current: object, command: dict,
           typed: dict[str, str]) -> ConfigError:
    """The error, naming the file and table where the command's defaults and flags alone are valid (the file's
    values then caused it); where they are not, the flags that set a key it names."""
    if path is not None:
        try:
            replace(current, **command)
        except ConfigError:
            pass
        else:
            message = str(error).removeprefix(f"{table}.")
            return ConfigError(f"{path}: [{table}] {message}{_also_typed(message, typed)}")
    return ConfigError(_naming_flags(str(error), typed))


def _also_typed(message: str, typed: dict[str, str]) -> str:
    """An error the file's values cause together with a flag (`--no-scores` with the file's `teacher`) names that
    flag too: its advice ("add --scores") reads as nonsense to someone who typed the opposite."""
    named = _flags_named_in(message, typed)
    return f" (the command line gives {' '.join(named)})" if named else ""


def _flags_named_in(message: str, typed: dict[str, str]) -> list[str]:
    return [shown for key, shown in typed.items() if re.search(rf"\b{key}\b", message)]


def _typed_flags(by_key: dict[tuple[str, str], tuple[str, object]], table: str) -> dict[str, str]:
    """The given flags of `table` by key, as the user typed them: `--group-size 1`, `--scores`, `--no-binary`."""
    return {key: flag if value is True else f"--no-{flag[2:]}" if value is False else f"{flag} {value or repr(value)}"
            for (home, key), (flag, value) in by_key.items() if home == table}


def _naming_flags(message: str, typed: dict[str, str]) -> str:
    """`message` after the flags that set a key it names (`--group-size 1: group_size must be at least 2 ...`):
    a config error names its keys, as the file's table and key are named for a value from the file."""
    named = _flags_named_in(message, typed)
    if not named:
        return message
    # the hint too: "give batch_size too", "give a batch_size of 2 or more" name a flag to add on the command line
    flag_of = {key: flag for flag, (_, key) in reversed(FLAGS.items())}
    hint = re.sub(r"\bgive (a )?(\w+) (too|of)\b",
                  lambda match: f"give {match[1] or ''}{flag_of.get(match[2], match[2])} {match[3]}", message)
    return f"{' '.join(named)}: {hint}"
