"""Tiny FlagEmbedding-style data with 4, 1, 0 and 2 negatives per query, and a helper that converts it."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.config import LayoutConfig, MiningConfig, RunConfig
from pipeline.convert import convert
from pipeline.run import RunInputs

ROWS = [
    {"query": "what is the capital of france", "pos": ["paris is the capital of france"],
     "neg": ["berlin is the capital of germany", "rome is the capital of italy", "madrid is the capital of spain",
             "the sea is blue"]},
    {"query": "who wrote hamlet", "pos": ["hamlet was written by shakespeare", "shakespeare wrote the tragedy hamlet"],
     "neg": ["macbeth is a play"]},
    {"query": "why is the sky blue", "pos": ["light scattering makes the sky blue"], "neg": []},
    {"query": "what is a cat", "pos": ["a cat is a mammal"], "neg": ["a dog is an animal", "leaves are green"]},
]
NEGATIVES = {row["query"]: row["neg"] for row in ROWS}
POSITIVES = {row["query"]: row["pos"] for row in ROWS}


@pytest.fixture
def flag_data(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return path


@pytest.fixture
def convert_to(tmp_path: Path) -> Callable[..., dict]:
    """convert(data) to a layout in tmp_path/out (or `out`); returns the manifest."""

    def run(data: Path, out: str = "out", negatives: int = 3, seed: int = 12, fmt: str | None = None,
            **layout: object) -> dict:
        config = RunConfig(mining=MiningConfig(negatives=negatives, seed=seed),
                           layout=LayoutConfig(**{"fill": "drop", **layout}))
        return convert(RunInputs(data, fmt), config, tmp_path / out)

    return run
