"""list-column, two-element-list, string-instead-of-list, ragged-negatives, empty-negatives, empty-docs,
padding-negative."""

import json

import pytest
from rule_findings import by_rule, one

from pipeline.errors import ConfigError
from pipeline.lint.context import LintOptions
from pipeline.lint.runner import lint

ST_LISTS = [
    {"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": ["Dune is a novel.", "Mars is red."]},
    {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative": ["Mars is red.", "a", "b"]},
    {"anchor": "capital of france", "positive": "Paris is the capital.", "negative": ["Berlin is big."]},
]
N_TUPLES = [
    {"anchor": "what is bm25", "positive": "BM25 ranks.", "negative_1": "Dune is a novel.", "negative_2": "Mars."},
    {"anchor": "who wrote dune", "positive": "Herbert did.", "negative_1": "Mars is red.", "negative_2": "Venus."},
]
FLAG = [{"query": "what is bm25", "pos": ["BM25 ranks."], "neg": ["n1", "n2", "n3"]},
        {"query": "who wrote dune", "pos": ["Herbert did."], "neg": ["n4", "n5", "n6"]}]


def test_list_column_and_two_element_list(lint_records) -> None:
    findings = lint_records(ST_LISTS)
    listed = one(findings, "list-column")
    assert "'negative' holds lists of 1 to 3 texts" in listed.message and listed.count == 3
    assert "--to n-tuple" in listed.fix and "--to buckets" in listed.fix
    pair = one(findings, "two-element-list")
    assert (pair.count, pair.rows) == (1, (1,))


def test_a_list_of_positives_without_negatives_is_mined(lint_records) -> None:
    """prep convert lays out only the negatives a row holds: with none it would write no row, so the fix mines."""
    answers = [{"question": row["anchor"], "documents": [row["positive"], "Another answer."]} for row in ST_LISTS]
    listed = one(lint_records(answers, columns={"anchor": "question", "positive": "documents"}), "list-column")
    assert listed.fix.startswith("One text per column: `prep run DATA --columns anchor=question,positive=documents` "
                                 "mines K negatives per row")


def test_list_column_of_empty_lists(lint_records) -> None:
    empty = [{**row, "negative": []} for row in ST_LISTS]
    assert one(lint_records(empty), "list-column").message == "column 'negative' holds an empty list in every row"


def test_list_column_of_one_text_each(lint_records) -> None:
    single = [{**row, "negative": row["negative"][:1]} for row in ST_LISTS]
    assert one(lint_records(single), "list-column").message == "column 'negative' holds lists of 1 text"


def test_fixed_columns_have_no_list_findings(lint_records) -> None:
    findings = lint_records(N_TUPLES)
    assert not by_rule(findings, "list-column") and not by_rule(findings, "two-element-list")
    assert not by_rule(findings, "ragged-negatives")


def test_ragged_negatives(lint_records) -> None:
    finding = one(lint_records(ST_LISTS), "ragged-negatives")
    assert "from 1 to 3" in finding.message and (finding.count, finding.rows) == (2, (1, 3))
    short = [N_TUPLES[0], {**N_TUPLES[1], "negative_2": None}]
    finding = one(lint_records(short), "ragged-negatives")
    assert (finding.count, finding.rows) == (1, (2,))
    assert finding.message == "negatives per row vary from 1 to 2; 1 row has fewer than 2"


def test_an_empty_negative_is_not_a_missing_one(lint_records) -> None:
    # ST trains on "" as a negative (padding-negative says so); only a null, which it cannot tokenise, is missing.
    padded = [{**N_TUPLES[0], "negative_1": ""}, N_TUPLES[1]]
    findings = lint_records(padded)
    assert one(findings, "padding-negative").rows == (1,) and not by_rule(findings, "ragged-negatives")
    listed = [{**row, "negative": ["", "Mars is red."] if row is ST_LISTS[2] else row["negative"][:2]}
              for row in ST_LISTS]
    assert not by_rule(lint_records(listed), "ragged-negatives")
    assert one(lint_records([*padded, {**N_TUPLES[1], "negative_2": None}]), "ragged-negatives").rows == (3,)


def test_ragged_negatives_fix_says_prep_counts_without_empty_negatives(lint_records) -> None:
    """The message counts "" as ST does (row 2 short of 3), the fix as prep does, which drops "" (row 1 short of 2):
    '`prep run DATA --negatives 2` mines the 1 short row up to 2' read as a contradiction without that said."""
    rows = [{"anchor": "q1", "positive": "p1", "negative_1": "a", "negative_2": "", "negative_3": ""},
            {"anchor": "q2", "positive": "p2", "negative_1": "b", "negative_2": "c", "negative_3": None}]
    finding = one(lint_records(rows), "ragged-negatives")
    assert finding.rows == (2,) and finding.message == "negatives per row vary from 2 to 3; 1 row has fewer than 3"
    assert finding.fix.startswith("prep drops empty negatives, so it counts 1 to 2 per row: `prep run DATA "
                                  "--negatives 2` mines the 1 short row up to 2; ")
    short = [N_TUPLES[0], {**N_TUPLES[1], "negative_2": None}]  # no empty text: the counts agree, nothing to say
    assert one(lint_records(short), "ragged-negatives").fix.startswith("`prep run DATA --negatives 2` mines")


def test_string_instead_of_list(lint_records) -> None:
    assert not by_rule(lint_records(FLAG), "string-instead-of-list")
    strings = [{"query": row["query"], "pos": row["pos"][0], "neg": row["neg"]} for row in FLAG]
    findings = lint_records(strings)
    finding = one(findings, "string-instead-of-list")
    assert "'pos' is a string" in finding.message and (finding.count, finding.rows) == (2, (1, 2))
    assert not by_rule(findings, "layout-schema"), "the string is reported once, by its own rule"
    negative = one(lint_records([{**row, "neg": row["neg"][0]} for row in FLAG]), "string-instead-of-list")
    assert "'neg' is a string" in negative.message and negative.rows == (1, 2)
    assert negative.fix == 'Wrap the text in a list: {"neg": ["text"]}, not {"neg": "text"}.'
    docs = [{"query": "q", "documents": "one text", "scores": [0.5]}]  # ST's list shape, its documents a string
    assert "'documents' is a string" in one(lint_records(docs), "string-instead-of-list").message


def test_empty_negatives(lint_records) -> None:
    assert not by_rule(lint_records(FLAG, group_size=4), "empty-negatives")
    rows = [FLAG[0], {**FLAG[1], "neg": []}, {"query": "q3", "pos": ["p3"], "neg": ["n7"]}]
    findings = by_rule(lint_records(rows, group_size=4), "empty-negatives")
    assert [(f.severity, f.count, f.rows) for f in findings] == [("error", 1, (2,)), ("warning", 1, (3,))]
    assert not by_rule(lint_records(rows, group_size=1), "empty-negatives"), "group size 1 samples no negatives"



def test_a_group_size_for_data_that_is_not_flag_is_refused(lint_records) -> None:
    st = [{"anchor": row["query"], "positive": row["pos"][0], "negative": row["neg"][0]} for row in FLAG]
    with pytest.raises(ConfigError, match=r"--group-size is FlagEmbedding's train_group_size, for flag data; .*"
                                          r"train\.jsonl is linted as triplet"):
        lint_records(st, group_size=4)
    lint_records(st)  # the same data without it lints


LISTS = [{"query": "what is bm25", "docs": ["BM25 ranks documents.", "Dune is a novel."], "labels": [1, 0]},
         {"query": "capital of france", "docs": ["Paris is the capital.", "Berlin is big."], "labels": [1, 0]}]


def test_empty_docs(lint_records) -> None:
    assert not by_rule(lint_records(LISTS), "empty-docs")
    rows = [LISTS[0], {"query": "who wrote dune", "docs": [], "labels": []}, LISTS[1],
            {"query": "what is rust", "docs": [], "labels": []}]
    for loss in (None, "ListNetLoss"):
        finding = one(lint_records(rows, loss=loss), "empty-docs")
        assert (finding.severity, finding.count, finding.rows) == ("error", 2, (2, 4))
        assert "ListNetLoss's loss is NaN" in finding.message
    nulls = [LISTS[0], {"query": "who wrote dune", "docs": None, "labels": None}]
    assert not by_rule(lint_records(nulls), "empty-docs"), "a null docs is layout-schema's"


@pytest.mark.parametrize("name", ["train.jsonl", "train.json"])
def test_negatives_empty_in_every_row_are_a_list_of_texts(lint_records, name) -> None:
    # JSON gives `[]` no element type; the rows lack negatives, the column's type is not broken.
    rows = [{**row, "neg": [], "neg_scores": []} for row in FLAG]
    findings = lint_records(rows, name=name)
    assert not by_rule(findings, "layout-schema")
    finding = one(findings, "empty-negatives")
    assert (finding.severity, finding.count, finding.rows) == ("error", 2, (1, 2))


def test_negatives_empty_in_the_first_thousand_rows_are_read_as_texts_after_them(lint_records) -> None:
    rows = [{"query": f"q{i}", "pos": [f"p{i}"], "neg": []} for i in range(1001)] + [FLAG[0]]
    findings = lint_records(rows)
    assert not by_rule(findings, "layout-schema")
    assert [(f.severity, f.count) for f in by_rule(findings, "empty-negatives")] == [("error", 1001), ("warning", 1)]


def test_negatives_null_in_every_row(lint_records) -> None:
    findings = lint_records([{**row, "neg": None} for row in FLAG])
    assert "column 'neg' is null in 2 rows" in one(findings, "layout-schema").message
    assert one(findings, "empty-negatives").rows == (1, 2)


def test_padding_negative(lint_records) -> None:
    assert not by_rule(lint_records(N_TUPLES), "padding-negative")
    padded = [{**N_TUPLES[0], "negative_2": ""}, {**N_TUPLES[1], "negative_2": "  mars is red. "}]
    padded[1]["negative_1"] = "mars is red."
    finding = one(lint_records(padded), "padding-negative")
    assert "1 empty negative and 1 repeated negative (same text as an earlier negative of the row, after " \
           "normalisation)" in finding.message
    exact = one(lint_records([{**N_TUPLES[0], "negative_2": N_TUPLES[0]["negative_1"]}, *N_TUPLES[1:]]),
                "padding-negative")
    assert "(same text as an earlier negative of the row, exactly)" in exact.message  # it said "after normalisation"
    assert (finding.count, finding.rows) == (2, (1, 2))
    assert "; ST trains on them" in finding.message
    flag = [{**FLAG[0], "neg": ["n1", "n1"]}, *FLAG[1:]]  # FlagEmbedding repeats a short list by itself
    assert "; FlagEmbedding trains on them" in one(lint_records(flag), "padding-negative").message


def test_a_negative_repeated_in_another_case_pads_the_row_to_an_uncased_tokenizer(lint_records) -> None:
    # all-MiniLM-L6-v2 lowercases and strips accents: "Mars is red." and "mars is réd." are one negative to it.
    padded = [N_TUPLES[0], {**N_TUPLES[1], "negative_1": "Mars is red.", "negative_2": "mars is réd."}]
    finding = one(lint_records(padded, model=None), "padding-negative")
    assert finding.rows == (2,)
    assert finding.message.startswith("1 repeated negative (same text as an earlier negative of the row, differing "
                                      "only in case or accents (all-MiniLM-L6-v2's tokenizer lowercases")


@pytest.mark.parametrize(("rows", "layout"), [
    ([{**row, "query": []} for row in FLAG], None),
    ([{"anchor": "q1", "positive": "p1", "negative": []}, {"anchor": "q2", "positive": "p2", "negative": []}],
     "triplet"),
])
def test_an_empty_list_where_a_text_belongs_is_a_schema_error(lint_records, rows, layout) -> None:
    """Only where the layout wants a list does an all-`[]` column pass as one; a text column of `[]` is reported."""
    finding = one(lint_records(rows, layout=layout), "layout-schema")
    assert finding.severity == "error" and "holds an empty list in every row, expected" in finding.message


def test_a_file_with_a_byte_order_mark_is_typed_from_the_whole_file(tmp_path, tiny_tokenizer) -> None:
    rows = [{"query": f"q{i}", "pos": [f"p{i}"], "neg": []} for i in range(1001)] + [FLAG[0]]
    path = tmp_path / "train.jsonl"
    path.write_text("\ufeff" + "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    findings = lint(path, LintOptions(model=str(tiny_tokenizer))).findings
    assert not by_rule(findings, "layout-schema")
    assert [(f.severity, f.count) for f in by_rule(findings, "empty-negatives")] == [("error", 1001), ("warning", 1)]


def test_one_label_list(lint_records) -> None:
    assert not by_rule(lint_records(LISTS), "one-label-list")
    rows = [LISTS[0], {"query": "who wrote dune", "docs": ["Herbert wrote Dune."], "labels": [1]},
            {"query": "what is rust", "docs": ["Rust is a language.", "Rust compiles."], "labels": [1, 1]},
            {"query": "what is go", "docs": [], "labels": []}, LISTS[1],
            {"query": "graded", "docs": ["a", "b"], "labels": [2.0, 1.0]}]
    finding = one(lint_records(rows), "one-label-list")
    assert (finding.severity, finding.count, finding.rows) == ("warning", 2, (2, 3))
    assert finding.message.startswith("2 rows have one value in 'labels' (1 with a single document): ")
    two = one(lint_records([LISTS[0], rows[2]]), "one-label-list")
    assert two.message.startswith("1 row has one value in 'labels': RankNetLoss")  # no "(0 with ...)"
    assert "no_negatives" in finding.fix
