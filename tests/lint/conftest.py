"""Lint tests write tiny tables, lint them in-process and look at the findings of one rule."""

from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.lint.context import LintOptions
from pipeline.lint.rule import Finding
from pipeline.lint.runner import lint


@pytest.fixture
def lint_records(write_table, tiny_tokenizer: Path) -> Callable[..., list[Finding]]:
    """Write `records` as `name` and lint it; options as LintOptions fields. The tiny tokenizer (max_seq_length
    8) measures lengths unless `model` is given."""

    def run(records: list[dict], name: str = "train.jsonl", **options: object) -> list[Finding]:
        options.setdefault("model", str(tiny_tokenizer))
        return lint(write_table(name, records), LintOptions(**options)).findings

    return run


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("model"))
