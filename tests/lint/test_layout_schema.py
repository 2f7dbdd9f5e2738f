"""layout-schema: what the pandera models of the layouts find, said per column, per row or for the whole table."""

from rule_findings import by_rule, one

PAIRS = [{"sentence1": "a cat", "sentence2": "a dog"}, {"sentence1": "a car", "sentence2": "a bus"},
         {"sentence1": "a sea", "sentence2": "a lake"}]


def test_a_labeled_pair_without_a_score_is_one_finding_about_the_table(lint_records) -> None:
    finding = one(lint_records(PAIRS, layout="labeled-pair"), "layout-schema")
    assert finding.message == "labeled-pair layout: the table lacks a score or label column"
    assert (finding.count, finding.rows) == (3, ())


def test_an_n_tuple_without_numbered_negatives_is_reported_with_its_other_broken_columns(lint_records) -> None:
    flag = [{"query": "q a", "pos": ["p a"], "neg": ["n a"], "pos_scores": [1.0], "neg_scores": [0.2]}]
    messages = {f.message for f in lint_records(flag, layout="n-tuple") if f.rule == "layout-schema"}
    assert "n-tuple layout: the table lacks a negative_1..negative_K column" in messages
    assert "n-tuple layout: columns 'anchor' and 'positive' are missing" in messages
    pairs = [{"anchor": "a b", "positive": "c d"}, {"anchor": "e f", "positive": "g h"}]
    finding = one(lint_records(pairs, layout="buckets"), "layout-schema")
    assert finding.message == "buckets layout: the table lacks a negative_1..negative_K column"
    assert (finding.count, finding.rows) == (2, ())


def test_an_n_tuple_with_a_label_and_no_numbered_negatives_is_one_finding(lint_records) -> None:
    # The missing negatives also failed every row's 'label holds 1 + K scores' (K = 0): one cause, two findings.
    scored = [{"anchor": "a b", "positive": "c d", "label": [1.0, 0.2]},
              {"anchor": "e f", "positive": "g h", "label": [1.0, 0.1]}]
    finding = one(lint_records(scored, layout="n-tuple"), "layout-schema")
    assert finding.message == "n-tuple layout: the table lacks a negative_1..negative_K column"


def test_every_missing_column_is_named(lint_records) -> None:
    flag = [{"query": "q a", "pos": ["p a"], "neg": ["n a"]}, {"query": "q b", "pos": ["p b"], "neg": ["n b"]}]
    finding = one(lint_records(flag, layout="triplet"), "layout-schema")
    assert finding.message == "triplet layout: columns 'anchor', 'positive' and 'negative' are missing"
    assert (finding.count, finding.rows) == (2, ())


def test_a_wrong_type_names_the_type_expected_plainly(lint_records) -> None:
    flag = [{"query": "q a", "pos": ["p a"], "neg": ["n a"]}, {"query": "q b", "pos": ["p b"], "neg": ["n b"]}]
    messages = {f.message for f in lint_records(flag, layout="labeled-pair") if f.rule == "layout-schema"}
    assert "labeled-pair layout: column 'pos' holds List(String), expected String" in messages
    scores = [{"anchor": "a b", "positive": "c d", "negative_1": "e f", "label": 0.5}]
    finding = one(lint_records(scores, layout="n-tuple"), "layout-schema")
    assert finding.message == "n-tuple layout: column 'label' holds Float64, expected List(Float64)"


def test_counts_of_one_row_are_singular(lint_records) -> None:
    flag = [{"query": "q a", "pos": ["p a"], "neg": None, "pos_scores": [0.9]},
            {"query": "q b", "pos": ["p b"], "neg": ["n b"]}]
    messages = {f.message.split(": FlagEmbedding")[0] for f in lint_records(flag) if f.rule == "layout-schema"}
    assert messages == {"flag layout: column 'neg' is null in 1 row",
                        "flag layout: 1 row has no 'pos_scores' while 1 row has it"}


def test_a_wrong_type_is_the_type_the_file_declares(lint_records) -> None:
    numbered = [{"anchor": "a b", "positive": "c d", "negative": 1},
                {"anchor": "e f", "positive": "g h", "negative": 2}]
    finding = one(lint_records(numbered, name="train.parquet", layout="triplet"), "layout-schema")
    assert finding.message == "triplet layout: column 'negative' holds Int64, expected String"
    flag = [{"query": 5, "pos": ["p a"], "neg": ["n a"]}]
    finding = one(lint_records(flag, layout="flag"), "layout-schema")
    assert finding.message == "flag layout: column 'query' holds Int64, expected String"


def test_a_null_number_in_a_score_list_names_the_column_and_rows(lint_records) -> None:
    # ST's collator (torch.tensor) fails on a None in a label list; `prep report` refuses a null listwise label.
    lists = [{"query": "q a", "docs": ["a", "b", "c"], "labels": [1.0, None, 0.0]},
             {"query": "q b", "docs": ["d", "e"], "labels": [1.0, 0.0]}]
    finding = one(lint_records(lists, loss="ListNetLoss"), "layout-schema")
    assert (finding.severity, finding.count, finding.rows) == ("error", 1, (1,))
    assert finding.message == "labeled-list layout: column 'labels' holds a null number in 1 row"
    scored = [{"anchor": "a b", "positive": "c d", "negative_1": "e f", "label": [1.0, 0.2]},
              {"anchor": "g h", "positive": "i j", "negative_1": "k l", "label": [None, 0.1]}]
    finding = one(lint_records(scored, loss="DistillKLDivLoss"), "layout-schema")
    assert (finding.severity, finding.rows) == ("error", (2,))
    assert finding.message == "n-tuple layout: column 'label' holds a null number in 1 row"
    # FlagEmbedding reads teacher scores only with --knowledge_distillation True, and then fails on the null.
    flag = [{"query": "q a", "pos": ["p a"], "neg": ["n a", "n b"], "pos_scores": [1.0], "neg_scores": [0.2, None]},
            {"query": "q b", "pos": ["p b"], "neg": ["n c", "n d"], "pos_scores": [1.0], "neg_scores": [0.2, 0.1]}]
    finding = one(lint_records(flag), "layout-schema")
    assert (finding.severity, finding.rows) == ("warning", (1,))
    assert finding.message.startswith("flag layout: column 'neg_scores' holds a null number in 1 row")
    st = [{"question": "a b", "positive": "c d", "negative": ["e f"], "label": [1.0, None]},
          {"question": "g h", "positive": "i j", "negative": ["k l"], "label": [1.0, 0.1]}]
    finding = one(lint_records(st, loss="DistillKLDivLoss"), "layout-schema")
    assert (finding.severity, finding.rows) == ("error", (1,))
    assert finding.message == "st layout: column 'label' holds a null number in 1 row"


def test_margin_mse_labels_of_both_forms_in_one_table_name_the_rows_of_the_less_common_length(lint_records) -> None:
    # 1 + K scores and K margins each fit MarginMSELoss, but ST's collator (torch.tensor) fails on a batch of both.
    rows = [{"anchor": f"q{i}", "positive": f"p{i}", "negative_1": f"n{i}", "negative_2": f"m{i}",
             "label": [0.9, 0.1, 0.3] if i != 2 else [0.8, 0.2]} for i in range(1, 4)]
    finding = one(lint_records(rows, loss="MarginMSELoss"), "layout-schema")
    assert (finding.severity, finding.rows) == ("error", (2,))
    assert finding.message.startswith("n-tuple layout: column 'label' holds lists of 3 numbers in 2 rows, 2 in 1 row")
    tie = one(lint_records(rows[1:], loss="MarginMSELoss"), "layout-schema")  # margins, then scores: the later named
    assert tie.rows == (2,)
    st = [{("query" if key == "anchor" else key): value for key, value in row.items()} for row in rows]
    assert one(lint_records(st, loss="MarginMSELoss"), "layout-schema").rows == (2,)
    assert not by_rule(lint_records([rows[0], rows[2]], loss="MarginMSELoss"), "layout-schema")


def test_a_labeled_pair_of_class_probabilities_fits_softmax_loss_only(lint_records) -> None:
    """SoftmaxLoss reads a pair's label as class probabilities; the labeled-pair model wants one float per row, so
    layout-schema said 'holds List(Float64), expected Float64' for the layout the loss is registered for, and a
    table mixing 2 and 3 probabilities got only that type error."""
    soft = [{"sentence1": "a", "sentence2": "b", "label": [0.2, 0.8]},
            {"sentence1": "c", "sentence2": "d", "label": [0.5, 0.5]}]
    assert not by_rule(lint_records(soft, loss="SoftmaxLoss"), "layout-schema")
    typed = "labeled-pair layout: column 'label' holds List(Float64), expected Float64"
    assert one(lint_records(soft), "layout-schema").message == typed
    assert one(lint_records(soft, loss="CoSENTLoss"), "layout-schema").message == typed
    mixed = [*soft, {"sentence1": "e", "sentence2": "f", "label": [0.2, 0.3, 0.5]}]
    finding = one(lint_records(mixed, loss="SoftmaxLoss"), "layout-schema")
    assert finding.rows == (3,) and finding.message.startswith(
        "labeled-pair layout: column 'label' holds lists of 2 numbers in 2 rows, 3 in 1 row; ST's collator")
