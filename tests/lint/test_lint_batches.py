"""cross-row-false-negative, small-corpus-in-batch, text-too-long, train-eval-leakage."""

import json

from rule_findings import by_rule, one

ROWS = [
    {"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel."},
    {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative": "Mars is red."},
    {"anchor": "capital of france", "positive": "Paris is the capital.", "negative": "Berlin is big."},
    {"anchor": "largest planet", "positive": "Jupiter is the largest.", "negative": "Pluto is small."},
]


def test_cross_row_false_negative(lint_records) -> None:
    assert not by_rule(lint_records(ROWS), "cross-row-false-negative")
    # Row 5 repeats the query of row 1 (a pair); row 4's negative is row 2's positive (a pair).
    rows = [*ROWS[:3], {**ROWS[3], "negative": "Frank Herbert wrote Dune."},
            {**ROWS[0], "positive": "BM25 is a ranking function."}]
    finding = one(lint_records(rows, batch_size=2), "cross-row-false-negative")
    assert (finding.count, finding.rows) == (4, (1, 2, 4, 5))
    assert "1 pairs of rows share a query; 1 times a text of one row" in finding.message
    assert "about 0.20 conflicts per batch" in finding.message  # 2 conflicts x 2 x 1 / (5 x 4)


def test_cross_row_not_for_scored_pairs(lint_records) -> None:
    pairs = [{"sentence1": "a cat", "sentence2": "a dog", "score": 0.4},
             {"sentence1": "a cat", "sentence2": "a pet", "score": 0.9}]
    assert not by_rule(lint_records(pairs), "cross-row-false-negative")


def test_small_corpus_in_batch(lint_records) -> None:
    assert not by_rule(lint_records(ROWS, batch_size=4), "small-corpus-in-batch")
    finding = one(lint_records(ROWS, batch_size=8), "small-corpus-in-batch")
    assert "4 distinct queries and 4 distinct positives for batches of 8" in finding.message and finding.count == 4
    assert not by_rule(lint_records(ROWS), "small-corpus-in-batch"), "only with --batch-size"


def test_text_too_long(lint_records) -> None:
    # The tiny tokenizer: n words are n + 2 tokens, max_seq_length 8.
    assert not by_rule(lint_records(ROWS), "text-too-long")
    rows = [*ROWS[:3], {**ROWS[3], "positive": "one two three four five six seven"}]
    finding = one(lint_records(rows), "text-too-long")
    assert (finding.count, finding.rows) == (1, (4,))
    assert "positive 1; the longest has 9 tokens" in finding.message


def test_train_eval_leakage(lint_records, write_table) -> None:
    held_out = write_table("eval.jsonl", [{"anchor": "What is BM25 ", "positive": "x"},
                                          {"anchor": "unrelated", "positive": "Paris is the capital."}])
    finding = one(lint_records(ROWS, eval_data=held_out), "train-eval-leakage")
    assert (finding.count, finding.rows) == (1, (3,)), "case is kept by normalisation: only the positive leaks"
    assert "0 rows hold an eval query; 1 an eval positive" in finding.message
    clean = write_table("eval2.jsonl", [{"anchor": "unrelated", "positive": "nothing"}])
    assert not by_rule(lint_records(ROWS, eval_data=clean), "train-eval-leakage")
    assert json.loads(json.dumps(finding.to_json()))["rule"] == "train-eval-leakage"
