"""Tiny FlagEmbedding-style data with 4, 1, 0 and 2 negatives per query, and a helper that converts it."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flag_rows import ROWS

from pipeline.config import LayoutConfig, MiningConfig, RunConfig
from pipeline.convert import convert
from pipeline.run import RunInputs


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
