"""Shared fixtures: tiny input files in tmp_path, the real data in ../shared/data, a tiny offline tokenizer."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from pipeline.canonical import Canonical

# Tests never reach the network: models and tokenizers come from local folders only.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"

SHARED_DATA = Path(__file__).parents[1].parent / "shared" / "data"


@pytest.fixture
def write_table(tmp_path: Path) -> Callable[[str, list[dict]], Path]:
    """Write records into tmp_path in the format the suffix names: .jsonl, .json (an array), .csv, .parquet
    or .arrow (Arrow IPC file)."""

    def write(name: str, records: list[dict]) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".jsonl":
            path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
        elif path.suffix == ".json":
            path.write_text(json.dumps(records), encoding="utf-8")
        else:
            frame = pl.DataFrame(records)
            writers = {".csv": frame.write_csv, ".parquet": frame.write_parquet, ".arrow": frame.write_ipc}
            writers[path.suffix](path)
        return path

    return write


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (only CI and dev machines have it)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model folder with only a tokenizer: whitespace words plus [CLS] and [SEP], max_seq_length 8.

    A text of n words is n + 2 tokens, so expected lengths are counted by hand."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.WordLevelTrainer(special_tokens=["[UNK]", "[CLS]", "[SEP]"])
    tokenizer.train_from_iterator(["what is a query", "a passage answers the query"], trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", tokenizer.token_to_id("[CLS]")), ("[SEP]", tokenizer.token_to_id("[SEP]"))])
    folder = tmp_path_factory.mktemp("tiny_tokenizer")
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 8, "do_lower_case": False}))
    return folder


@pytest.fixture(scope="session")
def linked() -> Callable[[Canonical, str], dict[tuple[str, str], dict]]:
    """{(query text, doc text): the link's other columns} of canon.positives or canon.negatives (a positive's input
    row left out: tests of the readers compare links across input formats). The texts normalised: a canonical text
    is the first form the input gives, and the links are between texts that normalise alike."""
    from plain_norm import norm


    def links(canon: Canonical, table: str) -> dict[tuple[str, str], dict]:
        joined = (getattr(canon, table)
                  .join(canon.queries.rename({"text": "query"}), on="query_id")
                  .join(canon.corpus.rename({"text": "doc"}), on="doc_id")
                  .drop("query_id", "doc_id", "row", strict=False))
        return {(norm(row.pop("query")), norm(row.pop("doc"))): row for row in joined.iter_rows(named=True)}

    return links


@pytest.fixture(scope="session")
def prep() -> Callable[..., subprocess.CompletedProcess]:
    """Run the installed `prep` console script, as users do, and capture its output."""
    script = Path(sys.executable).parent / "prep"

    def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(script), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                              env={**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "120"}, timeout=120)

    return run


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def static_model(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    from tiny_model import build_static_model

    return build_static_model(tmp_path_factory.mktemp("static"), tiny_model)


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_model import build_tiny_cross_encoder

    return build_tiny_cross_encoder(tmp_path_factory.mktemp("cross-encoder"))
