"""Load a sentence-transformers model or cross-encoder by folder or hub name; a bad name is a ConfigError."""

import math
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pipeline.errors import ConfigError

Model = TypeVar("Model")


def load_model(kind: Callable[..., Model], name: str, option: str, **kwargs: object) -> Model:
    """`kind(name, **kwargs)`, e.g. SentenceTransformer or CrossEncoder. `option` is the flag that named the model
    (--model, --teacher): the error says which one to fix."""
    check_folder(name, option)
    try:
        return kind(name, **kwargs)
    # sentence-transformers and transformers report a missing folder or hub model as OSError and a folder that is
    # not a model as ValueError; either would otherwise end in a traceback and exit 1, which lint uses for findings.
    # A folder's broken files raise whatever their reader raises (a truncated safetensors file, a modules.json
    # naming no class, a module without its config): the folder is named all the same.
    except Exception as error:
        if not isinstance(error, (OSError, ValueError)) and not Path(name).expanduser().is_dir():
            raise
        raise ConfigError(model_problem(name, option, error)) from error


def check_folder(name: str | None, option: str) -> None:
    """A name that is a path (hub names never start with /, . or ~) must exist: checked before a run as well as at
    the load, so that a mistyped --teacher fails before an hour of mining, not after."""
    if name and name.startswith(("/", ".", "~")) and not Path(name).expanduser().exists():
        raise ConfigError(f"{option} {name}: no such folder")


def model_problem(name: str, option: str, error: Exception) -> str:
    """One line that names the model and says what is wrong with it."""
    from huggingface_hub import is_offline_mode

    path = Path(name).expanduser()
    reason = first_line(error)
    if path.is_file():
        problem = "a file, not a model folder"
    elif path.is_dir():
        problem = f"the folder does not load as a model: {reason}"
    elif isinstance(error, FileNotFoundError):  # a path with two or more slashes: never looked up on the hub
        problem = "no such folder"
    elif is_offline_mode():
        problem = ("no such folder, and not in the local Hugging Face cache; HF_HUB_OFFLINE is set, so the hub "
                   "was not asked")
    else:
        problem = f"no such folder, and the Hugging Face hub did not give it: {reason}"
    return f"{option} {name}: {problem}"


def first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    if isinstance(error, (OSError, ValueError)):
        return lines[0] if lines else type(error).__name__
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__  # "TypeError: Pooling..."


def position_limit(model) -> int | None:
    """The tokens the model's transformer can take; None for a model without positions (StaticEmbedding). RoBERTa
    and its kin count positions from pad_token_id + 1: 512 tokens of 514 positions (XLM-R, multilingual-e5, bge-m3)."""
    config = getattr(getattr(model[0], "auto_model", None), "config", None)
    positions = getattr(config, "max_position_embeddings", None)
    if positions is None:
        return None
    if "roberta" in getattr(config, "model_type", "") or getattr(config, "model_type", "") == "camembert":
        positions -= (getattr(config, "pad_token_id", None) or 0) + 1
    return positions


def set_max_seq_length(model, length: int, which: str) -> None:
    """[encoder] max_seq_length, refused up front where the model cannot take it: above its positions a batch with
    a text that long fails, maybe an hour into the run; StaticEmbedding has none to set (it truncates nothing)."""
    if math.isinf(model.max_seq_length or 0):
        raise ConfigError(f"max_seq_length {length} ([encoder] max_seq_length): {which} ({type(model[0]).__name__}) "
                          "truncates nothing; leave max_seq_length out")
    limit = position_limit(model)
    if limit is not None and length > limit:
        raise ConfigError(f"max_seq_length {length} ([encoder] max_seq_length): {which} takes {limit} tokens at most "
                          f"(its position embeddings); give at most {limit}")
    model.max_seq_length = length
