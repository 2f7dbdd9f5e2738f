"""layout-schema, extra-text-column, id-column, label-column-name, column-order, split-named-file; --format and
--columns."""

import pytest
from rule_findings import by_rule, one

from pipeline.errors import ConfigError, InputError
from pipeline.lint.context import LintOptions
from pipeline.lint.runner import lint
from pipeline.readers import read_dataset

TRIPLETS = [
    {"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel."},
    {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative": "Mars is red."},
    {"anchor": "capital of france", "positive": "Paris is the capital.", "negative": "Berlin is big."},
]


def test_clean_triplets_have_no_structural_findings(lint_records) -> None:
    findings = lint_records(TRIPLETS)
    assert [f.rule for f in findings] == []


def test_layout_schema_reports_every_broken_column_at_once(lint_records) -> None:
    records = [{"anchor": "a b", "positive": "c d", "negative_1": 1, "label": [0.5, 0.1, 0.2]},
               {"anchor": "e f", "positive": "g h", "negative_1": 2, "label": [0.4]}]
    findings = by_rule(lint_records(records, layout="n-tuple"), "layout-schema")
    messages = sorted(f.message for f in findings)
    assert len(findings) == 2
    assert "column 'negative_1' holds Int64" in messages[0]
    assert "label holds 1 + K scores" in messages[1]
    row_check = next(f for f in findings if "label" in f.message)
    assert (row_check.count, row_check.rows) == (2, (1, 2))  # K = 1 wants 2 scores; 3 and 1 given


def test_a_label_number_in_an_n_tuple_is_one_type_finding_not_a_failed_row_check(lint_records) -> None:
    records = [{"anchor": "a b", "positive": "c d", "negative_1": "e", "negative_2": "f", "label": 0.3},
               {"anchor": "g h", "positive": "i j", "negative_1": "k", "negative_2": "l", "label": 0.1}]
    finding = one(lint_records(records, layout="n-tuple"), "layout-schema")
    assert "column 'label' holds Float64" in finding.message and "\n" not in finding.message


def test_layout_schema_labeled_list_lengths(lint_records) -> None:
    records = [{"query": "q one", "docs": ["a", "b"], "labels": [1.0, 0.0]},
               {"query": "q two", "docs": ["c", "d"], "labels": [1.0]}]
    finding = one(lint_records(records), "layout-schema")
    assert "labels as long as docs" in finding.message
    assert (finding.count, finding.rows) == (1, (2,))
    assert finding.fix.startswith("Mend or drop these rows"), "convert refuses such a row: it cannot be the fix"
    assert not by_rule(lint_records(records[:1]), "layout-schema")


def test_layout_schema_missing_column(lint_records) -> None:
    finding = one(lint_records([{"anchor": "a", "positive": "b"}], layout="triplet"), "layout-schema")
    assert "column 'negative' is missing" in finding.message and finding.count == 1


def test_a_pandas_index_is_an_index_not_an_unnamed_score(lint_records) -> None:
    """`df.to_csv()` writes the index under an empty header: datasets loads it as 'Unnamed: 0', and ST would feed it
    as the anchor; lint called it a score column to rename to `label`, which would train on row numbers."""
    records = [{"": i, **row} for i, row in enumerate(TRIPLETS)]
    findings = lint_records(records, "indexed.csv")
    index = one(findings, "id-column")
    assert "column 'Unnamed: 0' (Int64) is a row index" in index.message  # the name column-order gives it
    assert "`dataset.remove_columns(['Unnamed: 0'])`" in index.fix
    assert "read in the order ['Unnamed: 0', 'anchor'" in one(findings, "column-order").message  # as datasets names it
    assert not by_rule(findings, "label-column-name")


def test_extra_text_and_id_columns(lint_records) -> None:
    records = [{**row, "source": "web", "doc_id": f"d{i}"} for i, row in enumerate(TRIPLETS)]
    findings = lint_records(records)
    extra, ids = one(findings, "extra-text-column"), one(findings, "id-column")
    assert "'source'" in extra.message and extra.count == 3 and extra.severity == "warning"
    assert "'doc_id'" in ids.message and ids.count == 3
    assert not by_rule(findings, "label-column-name")


def test_an_extra_column_that_cannot_hold_negatives_is_an_error(lint_records) -> None:
    """ST trains it as a negative: a source label, or the positive's own title (a false negative)."""
    rows = [{"anchor": f"question {i}", "positive": f"The answer {i} explains it.", "negative": f"other text {i}"}
            for i in range(12)]
    source = one(lint_records([{**row, "source": "wiki"} for row in rows]), "extra-text-column")
    assert source.severity == "error"
    assert source.message.endswith("but it holds 1 distinct value in 12 rows, where 'positive' holds 12")
    assert source.fix == "Drop it before training: `dataset.remove_columns(['source'])`."
    titled = [{**row, "title": row["positive"][:12]} for row in rows]
    title = one(lint_records(titled), "extra-text-column")
    assert title.severity == "error"
    assert "in 12 of 12 rows it is the start of the row's own 'positive' (a title?)" in title.message
    other = [{**row, "hard": f"a hard negative {i}"} for i, row in enumerate(rows)]
    assert one(lint_records(other), "extra-text-column").severity == "warning"
    # Negatives drawn from a small pool of answers (FAQ data) are as many as the answers: still a warning; so is a
    # name like a negative's, and a distractor named inside the positive ("... by Alice, not by Bob": "Bob").
    faq = [{"anchor": f"question {i}", "positive": f"answer {i % 3}", "other": f"answer {(i + 1) % 3}"}
           for i in range(30)]
    assert one(lint_records(faq), "extra-text-column").severity == "warning"
    named = [{**row, "hard_negative": "wiki"} for row in rows]
    assert one(lint_records(named), "extra-text-column").severity == "warning"
    entity = [{**row, "positive": f"Written by Alice, not by Bob {i}.", "who": f"Bob {i}"}
              for i, row in enumerate(rows)]
    assert one(lint_records(entity), "extra-text-column").severity == "warning"


def test_extra_text_columns_after_the_roles_are_trained_as_negatives(lint_records) -> None:
    hard = [{"q": r["anchor"], "p": r["positive"], "hard_1": r["negative"], "hard_2": "Pluto is small."}
            for r in TRIPLETS]
    findings = by_rule(lint_records(hard, columns={"anchor": "q", "positive": "p"}), "extra-text-column")
    assert [(f.severity, f.count) for f in findings] == [("warning", 3), ("warning", 3)]
    assert "ST trains it as one more negative (input 3 of 4)" in findings[0].message
    assert "negative_1..negative_K" in findings[0].fix
    numbered = [{"q": r["q"], "p": r["p"], "negative_1": r["hard_1"], "negative_2": r["hard_2"]} for r in hard]
    assert not by_rule(lint_records(numbered, columns={"anchor": "q", "positive": "p"}), "extra-text-column")
    # Before the positive, ST takes it as the positive: column-order cannot tell, the roles being in order.
    first = [{"q": r["q"], "hard_1": r["hard_1"], "p": r["p"]} for r in hard]
    finding = one(lint_records(first, columns={"anchor": "q", "positive": "p"}), "extra-text-column")
    assert finding.severity == "error" and "ST takes it as input 2 of 3, where the layout has 'p'" in finding.message


def test_label_column_name(lint_records) -> None:
    pairs = [{"sentence1": "a cat", "sentence2": "a dog", "score": 0.4},
             {"sentence1": "a car", "sentence2": "a bus", "score": 0.6}]
    assert not by_rule(lint_records(pairs), "label-column-name")
    renamed = [{"sentence1": r["sentence1"], "sentence2": r["sentence2"], "similarity": r["score"]} for r in pairs]
    finding = one(lint_records(renamed), "label-column-name")
    assert "'similarity'" in finding.message and finding.count == 2
    both = [r | {"label": int(r["score"] > 0.5)} for r in pairs]  # two score columns: --columns picks one
    finding = one(lint_records(both, columns={"score": "label"}), "label-column-name")
    assert "a second label column: ST takes 'label' as the label and will try to tokenise 'score'" in finding.message
    # Mapping the score role to `score` does not make ST read it: its collator takes `label`, the first it knows.
    finding = one(lint_records(both, columns={"score": "score"}), "label-column-name")
    assert "a second label column: ST takes 'label' as the label and will try to tokenise 'score'" in finding.message


def test_column_order(lint_records) -> None:
    swapped = [{"positive": r["positive"], "anchor": r["anchor"], "negative": r["negative"]} for r in TRIPLETS]
    finding = one(lint_records(swapped), "column-order")
    assert "'positive' is the anchor" in finding.message and finding.count == 3
    assert "select_columns(['anchor', 'positive', 'negative'])" in finding.fix
    assert not by_rule(lint_records(TRIPLETS), "column-order")


def test_the_order_of_negatives_counts_only_with_a_label_list(lint_records) -> None:
    # MNRL and the other losses pool the negatives, so (anchor, positive, negative_2, negative_1) trains as well as
    # (anchor, positive, negative_1, negative_2); lint called it an error. A label list scores them by position.
    rows = [{"anchor": f"q{i}", "positive": f"p{i}", "negative_2": f"b{i}", "negative_1": f"a{i}"} for i in range(3)]
    assert not by_rule(lint_records(rows, loss="MultipleNegativesRankingLoss"), "column-order")
    scored = [{**row, "label": [0.9, 0.1, 0.2]} for row in rows]
    finding = one(lint_records(scored, loss="DistillKLDivLoss"), "column-order")
    assert "select_columns(['anchor', 'positive', 'negative_1', 'negative_2', 'label'])" in finding.fix
    before = [{"anchor": row["anchor"], "negative_1": row["negative_1"], "positive": row["positive"]} for row in rows]
    assert one(lint_records(before), "column-order").count == 3


def test_qa_pairs_with_a_label_are_labeled_pairs(lint_records) -> None:
    rows = [{"query": "what is bm25", "answer": "BM25 ranks documents.", "label": 1},
            {"query": "what is bm25", "answer": "what is bm25", "label": 0}]
    findings = lint_records(rows)
    assert not by_rule(findings, "layout-schema")
    # As `prep report` reads it, the label-0 answer is a negative (here one that repeats the anchor), not a positive.
    assert one(findings, "positive-in-negatives").rows == (2,)
    assert not by_rule(findings, "anchor-equals-positive")
    listed = [{**row, "answer": [row["answer"]]} for row in rows]
    assert "column 'answer' holds List(String)" in one(lint_records(listed), "layout-schema").message


def test_layout_schema_numbers_in_a_text_role(lint_records) -> None:
    # `prep report` refuses it ("field 'anchor': expected a string, got int"); ST's tokenizer fails on it.
    finding = one(lint_records([{"anchor": 1234, "positive": "b c"}, {"anchor": 5678, "positive": "d e"}]),
                  "layout-schema")
    assert "column 'anchor' (anchor) holds Int64, expected text" in finding.message
    assert (finding.severity, finding.count) == ("error", 2)
    assert not by_rule(lint_records([{"anchor": "a b", "positive": ["b c"]}]), "layout-schema"), "st takes lists"


def test_layout_schema_names_the_column_once_per_check(lint_records) -> None:
    flag = [{"query": "q a", "pos": ["pa"], "neg": ["na"], "pos_scores": [0.9], "neg_scores": [0.1]},
            {"query": "q b", "pos": ["pb"], "neg": ["nb"], "pos_scores": [0.8], "neg_scores": [0.2]},
            {"query": "q c", "pos": ["pc"], "neg": ["nc"]}]
    findings = by_rule(lint_records(flag), "layout-schema")
    assert len(findings) == 2 and {f.rows for f in findings} == {(3,)}
    assert ["'neg_scores'" in findings[1].message, "'pos_scores'" in findings[0].message] == [True, True]
    # FlagEmbedding reads teacher scores only with --knowledge_distillation True, and then from every row.
    assert all(f.severity == "warning" and "--knowledge_distillation" in f.message for f in findings)
    assert not by_rule(lint_records([{k: v for k, v in row.items() if "scores" not in k} for row in flag]),
                       "layout-schema")
    uneven = [{**flag[0], "neg_scores": [0.1, 0.2]}]
    assert "neg_scores as long as neg" in one(lint_records(uneven), "layout-schema").message


def test_formats_and_columns_as_prep_report_reads_them(lint_records) -> None:
    renamed = [{"text_a": "a cat", "text_b": "a dog", "sim": 0.4}, {"text_a": "a car", "text_b": "a bus", "sim": 0.6}]
    for options in ({"fmt": "pairs", "columns": {"sentence1": "text_a", "sentence2": "text_b", "score": "sim"}},
                    {"columns": {"anchor": "text_a", "positive": "text_b", "label": "sim"}}):
        findings = lint_records(renamed, **options)
        # Read as scored pairs; only the name of the score is a problem, since ST takes just label/score.
        assert [f.rule for f in findings] == ["label-column-name"] and "'sim'" in findings[0].message
    lists = [{"query": "q one", "docs": ["a b", "c d"], "labels": [1.0, 0.0]}]
    assert lint_records(lists, fmt="lists") == []
    with pytest.raises(ConfigError, match="lists input is found by the names ST gives it"):
        LintOptions(fmt="lists", columns={"anchor": "query"})
    with pytest.raises(ConfigError, match="got sentence3"):
        LintOptions(columns={"sentence3": "x"})


def test_format_st_is_honoured(lint_records) -> None:
    # `prep report --format st` refuses a label it would not read; lint said "no problems found".
    rows = [{"query": "what is bm25", "answer": "BM25 ranks documents.", "label": 0},
            {"query": "who wrote dune", "answer": "Frank Herbert wrote Dune.", "label": 1}]
    finding = one(lint_records(rows, fmt="st"), "st-score-column")
    assert finding.severity == "error"
    assert "has a 'label' column, which --format st does not read" in finding.message
    assert "use --format pairs" in finding.message
    assert not by_rule(lint_records(rows), "st-score-column"), "detected as labeled pairs"


def test_a_margin_per_row_in_an_st_table_is_an_error(lint_records) -> None:
    rows = [{**row, "score": margin} for row, margin in zip(TRIPLETS, (0.5, 1.2, 0.1), strict=True)]
    finding = one(lint_records(rows), "st-score-column")
    assert finding.severity == "error" and "one number per row (a MarginMSE margin)" in finding.message
    listed = [{**row, "score": [0.9, 0.1]} for row in TRIPLETS]
    assert not by_rule(lint_records(listed), "st-score-column"), "st reads a score list"


def test_columns_score_is_the_label_of_an_st_table_as_the_readers_take_it(lint_records) -> None:
    rows = [{"question": row["anchor"], "answer": row["positive"], "negative": row["negative"], "teacher": scores}
            for row, scores in zip(TRIPLETS, ([0.9, 0.1], [0.8], [0.7, 0.2]), strict=True)]
    findings = lint_records(rows, fmt="st", columns={"score": "teacher"})
    assert one(findings, "layout-schema").rows == (2,), "1 + K scores, K = 1"
    assert "numeric column 'teacher' is not named label" in one(findings, "label-column-name").message
    margins = [row | {"teacher": 0.5} for row in rows]
    finding = one(lint_records(margins, fmt="st", columns={"label": "teacher"}), "st-score-column")
    assert "has a 'teacher' column, which --format st does not read" in finding.message


@pytest.mark.parametrize(("teacher", "layout"), [([0.9], "st"), (0.9, "labeled-pair")], ids=["list", "number"])
def test_a_mapped_score_is_linted_by_what_it_holds_as_the_readers_read_it(write_table, tiny_tokenizer, teacher: object,
                                                                          layout: str) -> None:
    # A score list [positive score] was linted as a labeled pair ("column 'teacher' holds List(Float64)"), where the
    # readers now read it as st's label list.
    rows = [{"question": row["anchor"], "answer": row["positive"], "teacher": teacher} for row in TRIPLETS]
    options = LintOptions(model=str(tiny_tokenizer), columns={"score": "teacher"})
    result = lint(write_table("train.jsonl", rows), options)
    assert result.tables[0]["layout"] == layout
    assert not by_rule(result.findings, "layout-schema")


def test_a_margin_per_row_is_what_margin_mse_reads(lint_records) -> None:
    # (query, positive, negative, margin) is MarginMSELoss's first input form: with that --loss it is no error.
    rows = [{**row, "label": margin} for row, margin in zip(TRIPLETS, (0.5, 1.2, 0.1), strict=True)]
    findings = lint_records(rows, loss="MarginMSELoss")
    assert not by_rule(findings, "st-score-column") and not by_rule(findings, "loss-incompatible")
    assert one(lint_records(rows, loss="MultipleNegativesRankingLoss"), "st-score-column")


# Tables with two columns for one role, what the readers say of them, and the --columns choice that reads them.
AMBIGUOUS = {
    "anchor/query": ([{"anchor": r["anchor"], "query": r["anchor"].upper(), "positive": r["positive"]}
                      for r in TRIPLETS],
                     "has 2 anchor columns (anchor, query); choose one with --columns anchor=COLUMN",
                     {"anchor": "query"}),
    "positive/pos": ([{"anchor": r["anchor"], "positive": r["positive"], "pos": r["negative"]} for r in TRIPLETS],
                     "has 2 positive columns (positive, pos); choose one with --columns positive=COLUMN",
                     {"positive": "pos"}),
    "negative/negative_1..k": ([{**r, "negative_1": "Pluto is small.", "negative_2": "Ice melts."} for r in TRIPLETS],
                               "has negatives in 'negative' and in negative_1..negative_2; choose with --columns "
                               "negative=negative, or drop 'negative' to read negative_1..negative_2",
                               {"negative": "negative"}),
    "sentence1/query": ([{"sentence1": "a cat", "query": "cats?", "sentence2": "a dog", "score": 0.4}],
                        "has 2 sentence1 columns (sentence1, query); choose one with --columns sentence1=COLUMN",
                        {"sentence1": "query"}),
    "score/label": ([{"sentence1": "a cat", "sentence2": "a dog", "score": 0.4, "label": 0}],
                    "has 2 score columns (score, label); choose one with --columns score=COLUMN", {"score": "label"}),
}


@pytest.mark.parametrize("case", AMBIGUOUS)
def test_two_columns_for_one_role_are_refused_as_the_readers_refuse_them(write_table, tiny_tokenizer, case) -> None:
    # lint picked the first name and called the other an extra-text-column (a warning after the roles), where
    # `prep report` refuses the table: only the user knows which column the role is.
    rows, message, choice = AMBIGUOUS[case]
    path = write_table("train.jsonl", rows)
    with pytest.raises(InputError) as read:
        read_dataset(path)
    with pytest.raises(InputError) as linted:
        lint(path, LintOptions(model=str(tiny_tokenizer)))
    assert str(linted.value) == str(read.value) == f"{path}: {message}"
    read_dataset(path, columns=choice)
    assert lint(path, LintOptions(model=str(tiny_tokenizer), columns=choice)).tables


def test_two_columns_for_one_role_are_one_error_line_from_the_cli(write_table, prep, tiny_tokenizer) -> None:
    path = write_table("train.jsonl", AMBIGUOUS["positive/pos"][0])
    linted, reported = prep("lint", path, "--model", tiny_tokenizer), prep("report", path)
    assert linted.returncode == reported.returncode == 2
    assert linted.stderr == reported.stderr == f"error: {path}: {AMBIGUOUS['positive/pos'][1]}\n"


FLAG_SCORED = [{"query": "what is bm25", "pos": ["BM25 ranks documents."], "neg": ["Mars is red."], "pos_scores": [0.9],
                "neg_scores": [0.1]}]
TWO_SCORES = [{"q": "what is bm25", "a": "BM25 ranks documents.", "s": 0.9, "l": 0.5}]
READERS_REFUSE = {  # records, options, the layout named, what the readers say
    "flag read as st by --columns": (FLAG_SCORED, {"columns": {"anchor": "query", "positive": "pos"}}, "st",
                                     "with --columns it is read as st, which drops pos_scores, neg_scores"),
    "flag read as st by --format": (FLAG_SCORED, {"fmt": "st"}, "n-tuple",
                                    "--format st reads it as st, which drops pos_scores, neg_scores"),
    "score and label mapped": (TWO_SCORES, {"columns": {"anchor": "q", "positive": "a", "score": "s", "label": "l"}},
                               "labeled-pair", "maps score and label, two names of one pairs role"),
}


@pytest.mark.parametrize("case", READERS_REFUSE)
def test_the_readers_checks_apply_with_layout_too(lint_records, case: str) -> None:
    # With --layout, lint skipped the readers' format detection and linted a table they refuse as that layout.
    records, options, layout, message = READERS_REFUSE[case]
    for named in ({}, {"layout": layout}):
        with pytest.raises((InputError, ConfigError), match=message):
            lint_records(records, **options, **named)


def test_columns_detect_the_format_as_the_readers_do(lint_records) -> None:
    rows = [{"a": "a cat", "positive": "a cat sits"}, {"a": "a car", "positive": "a car drives"}]
    with pytest.raises(ConfigError, match="--columns roles for st input are anchor, positive, negative, score, label; "
                       "got sentence1"):
        lint_records(rows, columns={"sentence1": "a"})


def test_a_mapping_that_would_drop_flag_scores_is_refused_as_the_readers_do(lint_records) -> None:
    flag = [{"query": "what is bm25", "pos": ["BM25 ranks documents."], "neg": ["Mars is red."], "pos_scores": [0.9],
             "neg_scores": [0.1]}]
    assert not by_rule(lint_records(flag), "layout-schema")
    with pytest.raises(InputError, match=r"train\.jsonl: has FlagEmbedding's fields .* drops pos_scores, neg_scores"):
        lint_records(flag, columns={"anchor": "query"})


@pytest.mark.parametrize("fmt", ["st", "pairs"])
def test_format_st_or_pairs_that_would_drop_flag_scores_is_refused_as_the_readers_do(write_table, prep, tiny_tokenizer,
                                                                                      fmt: str) -> None:
    # `prep lint --format st` linted the file as an st table (findings on pos_scores and neg_scores, exit 1) where
    # `prep report --format st` read it and dropped them; both now refuse it alike.
    flag = [{"query": "what is bm25", "pos": ["BM25 ranks documents."], "neg": ["Mars is red."], "pos_scores": [0.9],
             "neg_scores": [0.1]}]
    path = write_table("train.jsonl", flag)
    with pytest.raises(InputError) as read:
        read_dataset(path, fmt)
    with pytest.raises(InputError) as linted:
        lint(path, LintOptions(model=str(tiny_tokenizer), fmt=fmt))
    message = (f"{path}: has FlagEmbedding's fields query and pos; --format {fmt} reads it as {fmt}, which drops "
               f"pos_scores, neg_scores. Read it with --format flag, or drop those fields to read it as {fmt}")
    assert str(linted.value) == str(read.value) == message
    linted, reported = prep("lint", path, "--format", fmt, "--model", tiny_tokenizer), prep("report", path, "-f", fmt)
    assert linted.returncode == reported.returncode == 2
    assert linted.stderr == reported.stderr == f"error: {message}\n"


def test_fields_first_seen_after_the_peeked_rows_are_linted_as_the_readers_read_them(lint_records) -> None:
    """Lint read the columns of the first 1,000 lines only: a mapping dropped flag's late scores without a word, and
    a late negative_2 holding numbers, which `prep report` refuses, was no finding."""
    flag = [{"query": f"q{i}", "pos": [f"p{i}"], "neg": [f"n{i}"]} for i in range(1_200)]
    flag[1_100] |= {"pos_scores": [0.9], "neg_scores": [0.1]}
    with pytest.raises(InputError, match=r"train\.jsonl: has FlagEmbedding's fields .* drops pos_scores, neg_scores"):
        lint_records(flag, columns={"anchor": "query"})
    rows = [{"anchor": f"q{i}", "positive": f"p{i}", "negative_1": f"n{i}"} for i in range(1_200)]
    rows[1_100]["negative_2"] = 7
    finding = one(lint_records(rows), "layout-schema")
    assert "negative_2" in finding.message


def test_boolean_labels_are_read_as_ones_and_zeros(lint_records) -> None:
    rows = [{"query": "what is bm25", "answer": "BM25 ranks documents.", "label": True},
            {"query": "what is bm25", "answer": "what is bm25", "label": False}]
    findings = lint_records(rows)
    # As `prep report` reads it: the false answer is a negative, here one that repeats the anchor.
    assert one(findings, "positive-in-negatives").rows == (2,)
    finding = one(lint_records(rows, loss="ContrastiveLoss"), "loss-incompatible")
    assert "label 'label' (true/false values)" in finding.message


def test_a_boolean_label_warns_which_losses_fail_on_it(lint_records) -> None:
    """ST's collator feeds true/false as a bool tensor: ContrastiveLoss and SoftmaxLoss fail on it (ST 6.3)."""
    rows = [{"sentence1": "what is bm25", "sentence2": "BM25 ranks documents.", "label": True},
            {"sentence1": "who wrote dune", "sentence2": "Mars is red.", "label": False}]
    finding = one(lint_records(rows, name="pairs.jsonl"), "bool-label")
    assert finding.severity == "warning" and finding.count == 2
    assert "pairs.jsonl: label column 'label' holds true/false" in finding.message
    assert "ContrastiveLoss" in finding.message and "int 0/1" in finding.fix
    assert not by_rule(lint_records([{**row, "label": int(row["label"])} for row in rows]), "bool-label")
    assert not by_rule(lint_records(rows, loss="ContrastiveLoss"), "bool-label"), "loss-incompatible judges it"


@pytest.mark.parametrize(("loss", "fails"), [("ContrastiveLoss", True), ("SoftmaxLoss", True),
                                             ("CrossEntropyLoss", True), ("CoSENTLoss", False),
                                             ("AnglELoss", False), ("CosineSimilarityLoss", False),
                                             ("OnlineContrastiveLoss", False), ("BinaryCrossEntropyLoss", False)])
def test_with_a_loss_a_boolean_label_is_an_error_only_where_that_loss_fails_on_it(lint_records, loss, fails) -> None:
    rows = [{"sentence1": "what is bm25", "sentence2": "BM25 ranks documents.", "label": True},
            {"sentence1": "who wrote dune", "sentence2": "Mars is red.", "label": False}]
    findings = by_rule(lint_records(rows, loss=loss), "loss-incompatible")
    assert bool(findings) == fails
    if fails:
        assert "label 'label' (true/false values)" in findings[0].message


def test_a_label_that_is_the_same_on_every_row_is_reported(lint_records) -> None:
    """STS 0-5 scores converted without --scores become 1.0 on every row: CoSENT then has nothing to rank."""
    rows = [{"sentence1": f"sentence {i}", "sentence2": f"other {i}", "score": 1.0} for i in range(3)]
    finding = one(lint_records(rows, name="sts.jsonl"), "constant-label")
    assert finding.severity == "warning" and finding.count == 3
    assert "sts.jsonl: every one of the 3 rows has score = 1.0" in finding.message and "--scores" in finding.fix
    # --scores cannot help where the input itself holds one label: the fix names what does
    assert "`dataset.remove_columns(['score'])`" in finding.fix and "MultipleNegativesRankingLoss" in finding.fix
    assert one(lint_records(rows, loss="CoSENTLoss"), "constant-label").severity == "error"
    graded = [{**row, "score": score} for row, score in zip(rows, [1.0, 0.6, 0.2], strict=True)]
    assert not by_rule(lint_records(graded), "constant-label")


def test_a_constant_label_counts_the_rows_that_carry_it(lint_records) -> None:
    """A row without a label does not carry the constant value: the count and the message say the same number."""
    rows = [{"sentence1": f"sentence {i}", "sentence2": f"other {i}", "score": None if i == 3 else 1.0}
            for i in range(4)]
    finding = one(lint_records(rows, name="sts.jsonl"), "constant-label")
    assert finding.count == 3
    assert "sts.jsonl: all 3 non-null labels are score = 1.0 (1 row has none)" in finding.message


def test_a_list_field_whose_items_change_type_is_located_where_they_change(lint_records) -> None:
    # labels as strings on line 1, numbers on line 2: lint typed the column from line 1 and blamed line 2 with
    # "expected lists of strings, found 1", as if labels had to be texts.
    lists = [{"query": "q a", "docs": ["a", "b"], "labels": ["1", "0"]},
             {"query": "q b", "docs": ["c", "d"], "labels": [1, 0]}]
    with pytest.raises(InputError, match=r"line 2, field 'labels': is a list of numbers here but a list of strings "
                                         r"on line 1; give a field one type throughout"):
        lint_records(lists)
    lists.reverse()  # numbers first: line 1 was blamed for "expected lists of strings, found 1"
    with pytest.raises(InputError, match=r"line 2, field 'labels': is a list of strings here but a list of numbers "
                                         r"on line 1; give a field one type throughout"):
        lint_records(lists)


@pytest.mark.parametrize(("names", "flagged"), [
    (("train.jsonl", "test.jsonl"), {"test.jsonl": "test"}),
    (("dev.jsonl", "train-00000-of-00002.jsonl", "train-00001-of-00002.jsonl"), {"dev.jsonl": "validation"}),
    (("hotpot_dev.jsonl", "msmarco.jsonl", "nq_train.jsonl"), {"hotpot_dev.jsonl": "validation"}),
    (("msmarco.jsonl", "nq_train.jsonl"), {}),  # FlagEmbedding's --train_data folder: no split but train
    (("a.jsonl", "b.jsonl"), {}),
])
def test_a_file_of_a_folder_named_for_an_eval_split_is_a_warning(tmp_path, tiny_tokenizer, names, flagged) -> None:
    """The folder is read whole (its test rows trained on), while load_dataset("json", data_dir=...) reads test.jsonl
    as the test split: nothing said so."""
    import json

    for index, name in enumerate(names):
        (tmp_path / name).write_text("".join(json.dumps({**row, "anchor": f"{row['anchor']} {index}"}) + "\n"
                                             for row in TRIPLETS))
    findings = by_rule(lint(tmp_path, LintOptions(model=str(tiny_tokenizer))).findings, "split-named-file")
    assert {finding.source.rsplit("/", 1)[-1]: finding.severity for finding in findings} == dict.fromkeys(flagged,
                                                                                                        "warning")
    for finding in findings:
        name = finding.source.rsplit("/", 1)[-1]
        assert finding.count == 3 and finding.message.startswith(f"{name}'s name says the {flagged[name]} split")
