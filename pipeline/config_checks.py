"""The checks every config table runs on construction: annotated types, positive integers, choices, the device."""

from dataclasses import fields

from pipeline.errors import ConfigError

# K at most: the search goes at most 16,384 candidates deep (mine_chunk.MAX_DEPTH), and ST's rank window holds 10 per
# negative; a K beyond it only fills memory with rows of K + 2 columns after the whole mining.
MAX_NEGATIVES = 1024
# positive_neighbors at most: the N + 1 nearest documents of every distinct positive of a chunk of queries are
# searched at once (positives x (N + 1) cells; N = 10^10 asked numpy for 224 GiB after the encoding), and N in the
# thousands would call whole topics positives.
MAX_POSITIVE_NEIGHBORS = 1024
# encoder.batch_size at most: texts are encoded in chunks of this many (one encode call and one cache part each),
# which a batch never crosses, so a larger batch would silently be this one.
ENCODE_CHUNK = 4096
# tokenizer_workers and engine.workers at most: each is a forked tokenising process or a Ray actor holding a model;
# a mistyped 10**6 forked (or asked the cluster for) a million of them before any text was encoded.
MAX_WORKERS = 256
INT64_MAX = 2**63 - 1  # Polars and numpy hold the integer settings as int64: a larger one overflows in a stage
_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "None": (type(None),)}
# As a config file says them: None is a key left out (or, where the key allows it, false), never written.
_SAID = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}
OFF_WITH_FALSE = frozenset({"relative_margin", "target_recall", "max_positive_rank", "batch_size"})  # `key = false`


def check_types(config: object, unsigned: tuple[str, ...] = ()) -> None:
    """Each value is of its annotated type (a TOML "0.05" is not a float); bools are not numbers. An integer fits
    in an int64, but for the `unsigned` ones (a seed), which their table checks."""
    for item in fields(config):
        value = getattr(config, item.name)
        annotation = item.type.__name__ if isinstance(item.type, type) else str(item.type)
        allowed = [kind.strip() for kind in annotation.split("|")]
        if isinstance(value, bool) and "bool" not in allowed:
            ok = False
        else:
            ok = any(isinstance(value, _TYPES[kind]) for kind in allowed if kind in _TYPES)
        if not ok:
            said = [_SAID.get(kind, kind) for kind in allowed if kind != "None"]
            said += ["false (off)"] * (item.name in OFF_WITH_FALSE)
            raise ConfigError(f"{item.name} must be {' or '.join(said)}, got {value!r}")
        if type(value) is int and item.name not in unsigned and abs(value) > INT64_MAX:
            raise ConfigError(f"{item.name} must fit in a 64-bit integer (at most {INT64_MAX}), got {value}")


def check_positive(config: object, name: str) -> None:
    value = getattr(config, name)
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")


def check_at_most(config: object, name: str, bound: int, why: str) -> None:
    """An integer setting (None: left out) no larger than `bound`, refused with the reason in `why`."""
    value = getattr(config, name)
    if value is not None and value > bound:
        raise ConfigError(f"{name} must be at most {bound:,} ({why}), got {value}")


def check_not_empty(config: object, name: str) -> None:
    """A name or folder given as "" (an unset shell variable) would silently mean the default, or the current folder."""
    if getattr(config, name) == "":
        raise ConfigError(f"{name} is an empty string; leave it out to use the default")


def check_choice(config: object, name: str, legal: tuple[str, ...]) -> None:
    value = getattr(config, name)
    if value not in legal:
        raise ConfigError(f"{name} must be one of {', '.join(repr(v) for v in legal)}; got {value!r}")


def check_device(device: str) -> None:
    """`device` is one that torch parses (cpu, cuda, cuda:1, mps, xpu, ...) and sees on this machine: checked here,
    as the model loads only once the data is read."""
    import torch

    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise ConfigError(f"device must be cpu, cuda, cuda:N, mps or another torch device; got {device!r}") from None
    backend = getattr(torch, parsed.type, None)
    count = getattr(backend, "device_count", lambda: 1)() if getattr(backend, "is_available", lambda: False)() else 0
    if count == 0:
        raise ConfigError(f"device {device!r}: torch sees no {parsed.type} device on this machine")
    if parsed.index is not None and parsed.index >= count:
        raise ConfigError(f"device {device!r}: torch sees {count} {parsed.type} device(s), numbered from 0")
