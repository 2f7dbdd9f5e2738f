"""--deep rules on a tiny offline encoder whose tokenizer lowercases: case variants embed identically
(cosine 1), while the normalised-text ids still tell them apart."""

from pathlib import Path

import pytest
from rule_findings import by_rule, one

ROWS = [
    {"anchor": "paris capital", "positive": "paris is the capital of france", "negative": "bread needs flour"},
    {"anchor": "hamlet author", "positive": "shakespeare wrote hamlet", "negative": "the sky is blue"},
    {"anchor": "bake bread", "positive": "bake bread with yeast", "negative": "rome is in italy"},
]


@pytest.fixture
def lint_deep(lint_records, tiny_model: Path, tmp_path: Path):
    def run(rows: list[dict], **options: object) -> list:
        return lint_records(rows, **{"deep": True, "model": str(tiny_model), "cache_dir": str(tmp_path / "cache"),
                                     "threshold": 0.999, **options})

    return run


def test_deep_rules_stay_off_without_deep(lint_records) -> None:
    rows = [*ROWS, {**ROWS[0], "anchor": "PARIS CAPITAL", "negative": "Paris Is The Capital Of France"}]
    findings = lint_records(rows)
    assert not by_rule(findings, "near-duplicate-query") and not by_rule(findings, "near-duplicate-negative")


def test_clean_rows_have_no_deep_findings(lint_deep) -> None:
    findings = lint_deep(ROWS)
    assert not by_rule(findings, "near-duplicate-query") and not by_rule(findings, "near-duplicate-negative")


def test_near_duplicate_negative(lint_deep) -> None:
    rows = [*ROWS[:2], {**ROWS[2], "negative": "Bake Bread With Yeast"}]
    finding = one(lint_deep(rows), "near-duplicate-negative")
    assert (finding.count, finding.rows) == (1, (3,))
    assert finding.message == "1 negative is within cosine 0.999 of the row's positive"


def test_near_duplicate_query_and_its_batch_conflicts(lint_deep) -> None:
    rows = [*ROWS, {"anchor": "Hamlet Author", "positive": "hamlet is a tragedy", "negative": "rome is in italy"}]
    findings = lint_deep(rows, batch_size=2)
    near = one(findings, "near-duplicate-query")
    assert (near.count, near.rows) == (2, (2, 4))
    assert near.message == "1 pair of distinct queries is near-duplicate (cosine >= 0.999)"
    conflict = one(findings, "cross-row-false-negative")
    assert conflict.rows == (2, 4), "near-duplicate queries must not share a batch"


def test_near_duplicate_leakage(lint_deep, write_table) -> None:
    # "bread bake" is 0.997 to "bake bread" with the tiny model ("BAKE BREAD" is the same text to its uncased
    # tokenizer: an eval query, not a near-duplicate of one).
    held_out = write_table("eval.jsonl", [{"anchor": "BREAD BAKE", "positive": "unrelated text"}])
    finding = one(lint_deep(ROWS, eval_data=held_out, threshold=0.99), "train-eval-leakage")
    assert (finding.count, finding.rows) == (1, (3,))
    assert finding.message == "1 row holds a near-duplicate of an eval query"
