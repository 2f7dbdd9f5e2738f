"""The checks every config table runs on construction: annotated types, positive integers, choices."""

from dataclasses import fields

from pipeline.errors import ConfigError

_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "None": (type(None),)}


def check_types(config: object) -> None:
    """Each value is of its annotated type (a TOML "0.05" is not a float); bools are not numbers."""
    for item in fields(config):
        value = getattr(config, item.name)
        annotation = item.type.__name__ if isinstance(item.type, type) else str(item.type)
        allowed = [kind.strip() for kind in annotation.split("|")]
        if isinstance(value, bool) and "bool" not in allowed:
            ok = False
        else:
            ok = any(isinstance(value, _TYPES[kind]) for kind in allowed if kind in _TYPES)
        if not ok:
            raise ConfigError(f"{item.name} must be {' or '.join(allowed)}, got {value!r}")


def check_positive(config: object, name: str) -> None:
    value = getattr(config, name)
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")


def check_choice(config: object, name: str, legal: tuple[str, ...]) -> None:
    value = getattr(config, name)
    if value not in legal:
        raise ConfigError(f"{name} must be one of {', '.join(repr(v) for v in legal)}; got {value!r}")
