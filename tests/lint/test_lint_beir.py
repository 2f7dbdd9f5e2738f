"""A BEIR folder under lint: its rows are queries, but a finding names the qrels lines of the judgements it is about."""

from pathlib import Path

import pytest
from beir_files import write_beir_folder
from rule_findings import one

from pipeline.lint.context import LintOptions
from pipeline.lint.runner import lint

CORPUS = [
    {"_id": "d1", "title": "", "text": "BM25 ranks documents."},
    {"_id": "d2", "title": "", "text": "  "},
    {"_id": "d3", "title": "", "text": "CafÃ© au lait."},
    {"_id": "d4", "title": "", "text": "what is bm25"},
    {"_id": "d5", "title": "", "text": "Frank Herbert wrote Dune."},
    {"_id": "d6", "title": "", "text": "Zero\u200bwidth space."},
    {"_id": "d7", "title": "", "text": "one two three four five six seven eight nine ten"},
    {"_id": "d8", "title": "", "text": "Frank Herbert wrote Dune."},
    {"_id": "d9", "title": "", "text": "Okapi weighting."},
    {"_id": "d10", "title": "", "text": "Okapi weighting."},
    {"_id": "d11", "title": "", "text": "Okapi BM25 weighting."},
]
QUERIES = [{"_id": "q1", "text": "what is bm25"}, {"_id": "q2", "text": "who wrote dune"},
           {"_id": "q3", "text": "ranking functions"}, {"_id": "q4", "text": "zero width"}]
# Line 2 on: q1's first line is 2 and q2's is 3, so each finding about a later document of theirs is told apart.
TRAIN = [("q1", "d1", 1), ("q2", "d5", 1), ("q1", "d2", 1), ("q1", "d3", 1), ("q1", "d4", 1), ("q1", "d6", 1),
         ("q1", "d7", 1), ("q2", "d8", 0), ("q2", "d9", 0), ("q2", "d10", 0), ("q3", "d11", 1), ("q3", "d1", 1)]
TEST = [("q4", "d6", 1)]


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    return write_beir_folder(tmp_path / "beir", CORPUS, QUERIES, {"train": TRAIN, "test": TEST})


@pytest.mark.parametrize(("rule", "line"), [
    ("empty-text", 4),  # q1 judges the blank d2 on line 4
    ("mojibake", 5),
    ("anchor-equals-positive", 6),  # d4 is q1's own text
    ("control-characters", 7),
    ("text-too-long", 8),  # 10 words: over the tiny tokenizer's 8 tokens
    ("positive-in-negatives", 9),  # q2's negative d8 is its positive d5's text; q2's first line is 3
    ("padding-negative", 11),  # d10 repeats d9, q2's negative on line 10
])
def test_a_finding_about_a_document_names_the_qrels_line_that_judges_it(beir: Path, tiny_tokenizer: Path,
                                                                        rule: str, line: int) -> None:
    finding = one(lint(beir, LintOptions(model=str(tiny_tokenizer))).findings, rule)
    assert (finding.count, finding.rows) == (1, (line,))


def test_a_cross_row_conflict_names_the_judgements_of_the_shared_document(beir: Path, tiny_tokenizer: Path) -> None:
    # d1 is a positive of q1 (line 2) and of q3 (line 13): the lines that judge it, and the first lines of the two
    # queries (2 and 12), the rows that must not share a batch.
    finding = one(lint(beir, LintOptions(model=str(tiny_tokenizer))).findings, "cross-row-false-negative")
    assert finding.rows == (2, 12, 13)


def test_a_leaked_eval_positive_names_its_training_qrels_line(beir: Path, tiny_tokenizer: Path) -> None:
    finding = one(lint(beir, LintOptions(eval_data=beir, model=str(tiny_tokenizer))).findings, "train-eval-leakage")
    assert (finding.count, finding.rows) == (1, (7,)), "d6, the test split's positive, is judged on train line 7"


def test_the_terminal_says_the_rows_are_qrels_lines(beir: Path, prep, tiny_tokenizer: Path) -> None:
    result = prep("lint", beir, "--model", tiny_tokenizer)
    assert "3 rows, layout beir; findings name lines of qrels/train.tsv" in " ".join(result.stdout.split())


def test_cranfield_empty_document_is_named_by_its_own_qrels_line(shared_data: Path) -> None:
    # Query 125's qrels run from line 594 (document 969) to 614; line 610 judges document 995, whose text is empty.
    qrels = (shared_data / "cranfield" / "qrels" / "train.tsv").read_text().splitlines()
    assert qrels[609].split("\t")[:2] == ["125", "995"] and qrels[593].split("\t")[:2] == ["125", "969"]
    finding = one(lint(shared_data / "cranfield", LintOptions()).findings, "empty-text")
    assert (finding.count, finding.rows) == (1, (610,))


@pytest.mark.parametrize("args", [["--layout", "n-tuple"], ["--format", "st"]])
def test_another_layout_or_format_for_a_beir_folder_is_refused(beir: Path, prep, args: list[str]) -> None:
    result = prep("lint", beir, *args)
    assert result.returncode == 2, result.stdout
    assert f"a BEIR folder is linted as the beir layout, not {' '.join(args)}" in result.stderr
    assert prep("lint", beir, "--layout", "beir", "--format", "beir").returncode == 1  # linted: CORPUS's own errors


def test_a_beir_folder_as_eval_data_goes_with_any_layout(beir: Path, write_table, tiny_tokenizer: Path) -> None:
    table = write_table("train.jsonl", [{"anchor": "what is bm25", "positive": "BM25 ranks.", "negative": "Dune."}])
    options = LintOptions(layout="triplet", eval_data=beir, eval_split="train", model=str(tiny_tokenizer))
    assert one(lint(table, options).findings, "train-eval-leakage").rows == (1,)
