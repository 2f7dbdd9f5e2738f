"""Labeled lists as ST writes them (`mine_hard_negatives(..., output_format="labeled-list")`, with and without
`output_scores`; `resolve_ids(..., output_format="lists")`) lint as labeled-list, and their problems name the
table's own columns."""

import json
from pathlib import Path

import pytest
from rule_findings import by_rule, one

from pipeline.lint.context import LintOptions
from pipeline.lint.layouts import find_roles
from pipeline.lint.load import read_sources
from pipeline.lint.runner import lint
from pipeline.lint.table import LintTable

PAIRS = {"paris capital france": "paris city capital", "berlin capital germany": "berlin city germany",
         "bake bread": "bread flour yeast oven", "hamlet wrote": "shakespeare wrote hamlet play",
         "sky blue": "sky blue light scattering"}
MORE = ["rome italy city", "madrid spain capital", "macbeth tragedy play", "sea colour blue", "plants leaves green"]


def mined(tiny_model: Path, tmp_path: Path, scores: bool) -> Path:
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.util import mine_hard_negatives

    pairs = Dataset.from_dict({"query": list(PAIRS), "answer": list(PAIRS.values())})
    lists = mine_hard_negatives(pairs, SentenceTransformer(str(tiny_model)), corpus=[*PAIRS.values(), *MORE],
                                num_negatives=3, output_format="labeled-list", output_scores=scores, verbose=False)
    assert lists.column_names == ["query", "answer", "scores" if scores else "labels"]
    path = tmp_path / "mined.jsonl"
    lists.to_json(path)
    return path


@pytest.mark.parametrize("scores", [False, True])
def test_st_miner_labeled_lists_lint_clean(tiny_model: Path, tiny_tokenizer: Path, tmp_path: Path,
                                           scores: bool) -> None:
    path = mined(tiny_model, tmp_path, scores)
    for loss in (None, "ListNetLoss"):
        result = lint(path, LintOptions(model=str(tiny_tokenizer), loss=loss))
        assert result.tables[0]["layout"] == "labeled-list"
        assert result.findings == []


def test_a_broken_miner_list_names_its_columns(tiny_model: Path, tiny_tokenizer: Path, tmp_path: Path) -> None:
    path = mined(tiny_model, tmp_path, scores=True)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[1]["scores"] = rows[1]["scores"][:-1]
    rows[2]["scores"][1] = None
    rows[3]["answer"], rows[3]["scores"] = [], []
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    findings = lint(path, LintOptions(model=str(tiny_tokenizer))).findings
    schema = by_rule(findings, "layout-schema")
    assert {(f.message, f.rows) for f in schema} == {
        ("labeled-list layout: rows fail the check 'scores as long as answer'", (2,)),
        ("labeled-list layout: column 'scores' holds a null number in 1 row", (3,))}
    assert one(findings, "empty-docs").message.startswith("rows whose 'answer' list is empty")


@pytest.mark.parametrize("records", [
    [{"query": "paris capital", "documents": ["paris city", "rome city"], "scores": [0.2, 0.9]},
     {"query": "bake bread", "documents": ["bread oven", "sky blue", "sea blue"], "scores": [0.8, 0.1, 0.3]}],
    [{"anchor": "paris capital", "positive": ["paris city", "rome city"], "labels": [1, 0]},
     {"anchor": "bake bread", "positive": ["bread oven", "sky blue", "sea blue"], "labels": [1, 0, 0]}],
])
def test_st_list_shapes_lint_clean_and_their_first_document_is_the_positive(lint_records, write_table,
                                                                           records: list[dict]) -> None:
    assert lint_records(records) == []
    source = read_sources(write_table("lists.jsonl", records))[0]
    table = LintTable(source, "labeled-list", find_roles("labeled-list", source.schema, source.name))
    assert table.texts.filter(role="positive")["text"].to_list() == ["paris city", "bread oven"]


def test_uneven_documents_and_scores_name_the_columns(lint_records) -> None:
    records = [{"query": "q a", "documents": ["a", "b"], "scores": [0.2]}]
    assert one(lint_records(records), "layout-schema").message == (
        "labeled-list layout: rows fail the check 'scores as long as documents'")
