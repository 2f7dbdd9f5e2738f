"""loss-incompatible and score-range, and the loss table against sentence-transformers itself."""

import pytest
from rule_findings import by_rule, one

from pipeline.errors import ConfigError
from pipeline.lint.context import LintOptions
from pipeline.lint.losses import LOSSES

TRIPLETS = [{"anchor": "a b", "positive": "c d", "negative": "e f"}, {"anchor": "g h", "positive": "i j",
                                                                    "negative": "k l"}]
N_TUPLES = [{"anchor": "a b", "positive": "c d", "negative_1": "e", "negative_2": "f", "negative_3": "g"}]
PAIRS = [{"sentence1": "a cat", "sentence2": "a dog", "score": 0.4},
         {"sentence1": "a car", "sentence2": "a bus", "score": 4.5},
         {"sentence1": "a man", "sentence2": "a boy", "score": -2.0}]


def test_every_loss_is_a_sentence_transformers_class() -> None:
    from sentence_transformers.cross_encoder import losses as cross_encoder_losses
    from sentence_transformers.sentence_transformer import losses

    assert [name for name in LOSSES if not hasattr(losses, name) and not hasattr(cross_encoder_losses, name)] == []


def test_unknown_loss_lists_the_legal_ones() -> None:
    with pytest.raises(ConfigError, match="MultipleNegativesRankingLoss"):
        LintOptions(loss="MNRL")


def test_triplet_loss(lint_records) -> None:
    assert not by_rule(lint_records(TRIPLETS, loss="TripletLoss"), "loss-incompatible")
    finding = one(lint_records(N_TUPLES, loss="TripletLoss"), "loss-incompatible")
    assert "TripletLoss reads 3 text columns with no label; this table feeds 5 columns" in finding.message
    assert "--to triplet" in finding.fix and finding.count == 1


def test_gist_takes_at_most_one_negative(lint_records) -> None:
    assert not by_rule(lint_records(TRIPLETS, loss="GISTEmbedLoss"), "loss-incompatible")
    assert one(lint_records(N_TUPLES, loss="GISTEmbedLoss"), "loss-incompatible")
    assert not by_rule(lint_records(N_TUPLES, loss="MultipleNegativesRankingLoss"), "loss-incompatible")


def test_cosent_needs_a_float_score(lint_records) -> None:
    assert not by_rule(lint_records(PAIRS, loss="CoSENTLoss"), "loss-incompatible")
    finding = one(lint_records(TRIPLETS, loss="CoSENTLoss"), "loss-incompatible")
    assert "with label a number" in finding.message


def test_listwise_needs_query_and_docs(lint_records) -> None:
    lists = [{"query": "q", "docs": ["a", "b"], "labels": [1.0, 0.0]}]
    assert not by_rule(lint_records(lists, loss="ListNetLoss"), "loss-incompatible")
    assert one(lint_records(PAIRS, loss="ListNetLoss"), "loss-incompatible")


def test_score_range(lint_records) -> None:
    finding = one(lint_records(PAIRS, loss="CosineSimilarityLoss"), "score-range")
    assert (finding.count, finding.rows) == (2, (2, 3)) and "[-1, 1]" in finding.message
    assert not by_rule(lint_records(PAIRS[:1], loss="CosineSimilarityLoss"), "score-range")
    assert not by_rule(lint_records(PAIRS, loss="CoSENTLoss"), "score-range"), "CoSENT reads only the order"
    binary = [{"sentence1": "a", "sentence2": "b", "label": 1}, {"sentence1": "c", "sentence2": "d", "label": 0.5}]
    assert one(lint_records(binary, loss="ContrastiveLoss"), "score-range").rows == (2,)


def test_fixes_keep_the_labels_the_loss_learns_from(lint_records) -> None:
    """Applied as written, a fix must not turn STS scores into 1/0 (convert's default) or drop most rows."""
    sts = [{"genre": "news", **row} for row in PAIRS]  # a column in the anchor's place: the loss does not fit
    fixes = {loss: one(lint_records(sts, loss=loss), "loss-incompatible").fix
             for loss in ("CosineSimilarityLoss", "ContrastiveLoss", "MultipleNegativesRankingLoss")}
    assert fixes["CosineSimilarityLoss"].startswith("`prep convert DATA --to labeled-pair --scores`")
    assert fixes["ContrastiveLoss"].startswith("`prep convert DATA --to labeled-pair --binary`")
    assert "train scored pairs with CoSENTLoss or AnglELoss" in fixes["MultipleNegativesRankingLoss"]
    # triplets have no scores to keep: 1/0 is what CoSENT learns from them
    assert one(lint_records(TRIPLETS, loss="CoSENTLoss"), "loss-incompatible").fix.startswith(
        "`prep convert DATA --to labeled-pair` writes")
    lists = [{"anchor": "a", "positive": "b", "negative": ["c", "d"]}, {"anchor": "e", "positive": "f",
                                                                      "negative": ["g", "h"]}]
    assert "`prep convert DATA --to n-tuple --negatives 2`" in one(
        lint_records(lists, loss="MultipleNegativesRankingLoss"), "loss-incompatible").fix
    # a score column that --columns maps: convert reads it with --scores, and select_columns keeps it
    similar = [{"sentence2": row["sentence2"], "similarity": row["score"], "sentence1": row["sentence1"]}
               for row in PAIRS]
    mapped = lint_records(similar, columns={"sentence1": "sentence1", "sentence2": "sentence2", "score": "similarity"},
                          loss="CosineSimilarityLoss")
    assert one(mapped, "loss-incompatible").fix.startswith(
        "`prep convert DATA --columns sentence1=sentence1,sentence2=sentence2,score=similarity --to labeled-pair "
        "--scores`")
    assert "select_columns(['sentence1', 'sentence2', 'similarity'])" in one(mapped, "column-order").fix
    ranged = {loss: one(lint_records(PAIRS, loss=loss), "score-range").fix
              for loss in ("CosineSimilarityLoss", "BinaryCrossEntropyLoss", "ContrastiveLoss")}
    assert "`dataset.map(lambda row: {'score': (row['score'] + 2) / 6.5})`" in ranged["CosineSimilarityLoss"]
    positive = [row for row in PAIRS if row["score"] > 0]
    assert "{'score': row['score'] / 4.5}" in one(lint_records(positive, loss="BinaryCrossEntropyLoss"),
                                                  "score-range").fix
    graded = [{**row, "score": float(grade)} for row, grade in zip(PAIRS + PAIRS[:1], (1, 2, 3, 4), strict=True)]
    assert "{'score': (row['score'] - 1) / 3}" in one(lint_records(graded, loss="CosineSimilarityLoss"),
                                                      "score-range").fix
    assert ranged["ContrastiveLoss"].startswith("`prep convert DATA --to labeled-pair --binary`")


def test_negative_list_labels_are_out_of_range_only_for_graded_gains(lint_records) -> None:
    # ListNet's softmax and ListMLE's order are the same for [1, 0, -1] as for [2, 1, 0]: they trained, and lint called
    # the labels an error. LambdaLoss's gains 2^label - 1 turn negative.
    lists = [{"query": "q", "docs": ["a", "b", "c"], "labels": [1.0, 0.0, -1.0]}]
    for loss in ("ListNetLoss", "ListMLELoss", "PListMLELoss"):
        assert not by_rule(lint_records(lists, loss=loss), "score-range")
    for loss in ("LambdaLoss", "RankNetLoss", "ADRMSELoss"):
        assert one(lint_records(lists, loss=loss), "score-range").rows == (1,)


def test_margin_mse_reads_a_margin_per_negative(lint_records) -> None:
    # ST's MarginMSELoss takes [M(q, p) - M(q, n_i) for each negative] as well as [M(q, p), M(q, n_1), ...].
    margins = [{**row, "label": [0.4, 0.6, 0.1]} for row in N_TUPLES]
    assert not by_rule(lint_records(margins, loss="MarginMSELoss"), "layout-schema")
    assert one(lint_records(margins, loss="DistillKLDivLoss"), "layout-schema").rows == (1,)
    short = [{**row, "label": [0.4, 0.6]} for row in N_TUPLES]
    assert one(lint_records(short, loss="MarginMSELoss"), "layout-schema").rows == (1,)
    unlabelled = [{key: value for key, value in row.items() if key != "negative_3"} for row in N_TUPLES]
    assert not by_rule(lint_records(unlabelled, loss="MarginMSELoss"), "layout-schema")


def test_a_triplet_label_list_is_checked_as_an_n_tuple_one(lint_records) -> None:
    # (anchor, positive, negative, label: [margin]) passed with DistillKLDivLoss, which fails on it (it reads
    # [positive, negative] scores), and a label of 3 scores passed with both distillation losses, which fail on it.
    scored = [{**row, "label": [0.9, 0.2]} for row in TRIPLETS]
    margin = [{**row, "label": [0.7]} for row in TRIPLETS]
    for loss in ("DistillKLDivLoss", "MarginMSELoss"):
        assert not by_rule(lint_records(scored, loss=loss), "layout-schema")
        assert one(lint_records([{**row, "label": [0.9, 0.2, 0.1]} for row in TRIPLETS], loss=loss),
                   "layout-schema").rows == (1, 2)
    assert not by_rule(lint_records(margin, loss="MarginMSELoss"), "layout-schema")
    finding = one(lint_records(margin, loss="DistillKLDivLoss"), "layout-schema")
    assert finding.message == "triplet layout: rows fail the check 'label holds 1 + K scores'"


def test_label_length_whatever_the_anchor_is_called(lint_records) -> None:
    # An anchor named `query` makes the table st, not n-tuple; ST reads its label list the same.
    st = [{("query" if key == "anchor" else key): value for key, value in row.items()} for row in N_TUPLES]
    margins = [{**row, "label": [0.4, 0.6, 0.1]} for row in st]
    finding = one(lint_records(margins, loss="DistillKLDivLoss"), "layout-schema")
    assert finding.rows == (1,) and finding.message == "st layout: rows fail the check 'label holds 1 + K scores'"
    assert not by_rule(lint_records(margins, loss="MarginMSELoss"), "layout-schema")
    assert not by_rule(lint_records([{**row, "label": [0.9, 0.4, 0.6, 0.1]} for row in st]), "layout-schema")
    short = [{**row, "label": [0.4, 0.6]} for row in st]
    assert one(lint_records(short, loss="MarginMSELoss"), "layout-schema").rows == (1,)
    one_negative = [{"query": "a b", "positive": "c d", "negative": "e f", "label": [0.9, 0.4, 0.6]}]
    assert one(lint_records(one_negative, loss="DistillKLDivLoss"), "layout-schema").rows == (1,)


@pytest.mark.parametrize("name", ["lists.jsonl", "lists.parquet"])
def test_empty_labels_are_not_called_texts(lint_records, name) -> None:
    # JSON's [] has no type, and Parquet types a column of [] as a list of nulls: both are read as lists of texts.
    lists = [{"query": "q", "docs": ["a", "b"], "labels": []}, {"query": "r", "docs": ["c"], "labels": []}]
    finding = one(lint_records(lists, name=name, loss="ListNetLoss"), "loss-incompatible")
    assert "label 'labels' (an empty list in every row)" in finding.message and "texts" not in finding.message
    pairs = [{"sentence1": "a", "sentence2": "b", "label": []}]
    assert "label 'label' (an empty list in every row)" in one(lint_records(pairs, name=name, loss="CoSENTLoss"),
                                                               "loss-incompatible").message
    schema = one(lint_records(pairs, name=name), "layout-schema")
    assert "column 'label' holds an empty list in every row, expected" in schema.message
    texts = [{"query": "q", "docs": ["a", "b"], "labels": ["1", "0"]}]
    assert "label 'labels' (a list of texts)" in one(lint_records(texts, name=name, loss="ListNetLoss"),
                                                     "loss-incompatible").message


def test_nli_classes_are_an_error_unless_a_class_loss_reads_them(lint_records) -> None:
    nli = [{"premise": f"a man plays {i}", "hypothesis": f"someone plays {i}", "label": i % 3} for i in range(6)]
    finding = one(lint_records(nli, fmt="pairs"), "nli-labels")
    assert "holds NLI classes (0 entailment, 1 neutral, 2 contradiction)" in finding.message
    assert not by_rule(lint_records(nli, fmt="pairs", loss="SoftmaxLoss"), "nli-labels")
    assert one(lint_records(nli, fmt="pairs", loss="CoSENTLoss"), "nli-labels")
    assert not by_rule(lint_records([{**row, "label": row["label"] % 2} for row in nli], fmt="pairs"), "nli-labels")


def test_a_class_label_whose_zero_is_a_match_is_an_error_unless_a_class_loss_reads_it(tmp_path, tiny_tokenizer) -> None:
    """RTE's ClassLabel ['entailment', 'not_entailment'] read as scores trains every entailment as a negative."""
    import datasets

    from pipeline.lint.runner import lint

    features = datasets.Features({"sentence1": datasets.Value("string"), "sentence2": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["entailment", "not_entailment"])})
    datasets.Dataset.from_dict({"sentence1": ["a plane takes off", "men play chess"], "sentence2": [
        "a plane is taking off", "two men play chess"], "label": [0, 1]}, features=features).save_to_disk(
        str(tmp_path / "rte"))
    findings = lint(tmp_path / "rte", LintOptions(model=str(tiny_tokenizer))).findings
    finding = one(findings, "nli-labels")
    assert "holds classes (0 entailment, 1 not_entailment)" in finding.message and finding.count == 2
    assert finding.fix.startswith("Flip them so that 1 is entailment")
    assert not by_rule(lint(tmp_path / "rte", LintOptions(model=str(tiny_tokenizer), loss="SoftmaxLoss")).findings,
                       "nli-labels")


def test_fix_commands_carry_the_split_and_quote_names_and_one_value_is_not_rescaled(lint_records) -> None:
    from pipeline.lint.context import LintContext
    from pipeline.lint.fixes import prep_command

    context = LintContext(LintOptions(split="dev", columns={"anchor": "my question", "positive": "answer"}))
    assert prep_command(context, "run") == "prep run DATA --split dev --columns 'anchor=my question,positive=answer'"
    same = [{**row, "score": 4.0} for row in PAIRS]
    assert one(lint_records(same, loss="CosineSimilarityLoss"), "score-range").fix.startswith("Every label is 4:")


def test_a_label_that_the_loss_ignores_is_a_warning_not_an_error(lint_records) -> None:
    """ST's collator passes the label to MultipleNegativesRankingLoss and TripletLoss, which ignore it: they train.
    A list label of several lengths fails in the collator's tensor, so that stays an error."""
    scored = [{**row, "label": [0.9, 0.1]} for row in TRIPLETS]
    for loss in ("MultipleNegativesRankingLoss", "TripletLoss"):
        finding = one(lint_records(scored, loss=loss), "loss-incompatible")
        assert finding.severity == "warning" and f"{loss} reads no label" in finding.message
        assert finding.fix.startswith("Drop column 'label'")
    # A label that may say more than the loss reads stays an error: a negative labelled as the positive is
    # (trained as a negative), one number per row, lists of several lengths (the collator's tensor fails).
    for labels in ([[1.0, 1.0], [0.9, 0.1]], [[0.9], [0.9, 0.1]]):
        rows = [{**row, "label": label} for row, label in zip(TRIPLETS, labels, strict=True)]
        assert one(lint_records(rows, loss="TripletLoss"), "loss-incompatible").severity == "error"
    assert one(lint_records([{**TRIPLETS[0], "label": 0.5}, {**TRIPLETS[1], "label": 0.2}],
                            loss="TripletLoss"), "loss-incompatible").severity == "error"


def test_distillation_fixes_keep_or_ask_for_a_score_per_text(lint_records) -> None:
    """MarginMSELoss's fix named a convert without --scores: the output had no label and lint gave the same fix."""
    flag = [{"query": "q", "pos": ["p"], "neg": ["n1", "n2"], "pos_scores": [0.9], "neg_scores": [0.2, 0.1]},
            {"query": "r", "pos": ["s"], "neg": ["t1", "t2"], "pos_scores": [0.8], "neg_scores": [0.3, 0.2]}]
    assert one(lint_records(flag, loss="MarginMSELoss"), "loss-incompatible").fix == (
        "`prep convert DATA --to n-tuple --scores --negatives 2`.")
    unscored = [{key: row[key] for key in ("query", "pos", "neg")} for row in flag]
    assert "`prep convert DATA --to n-tuple --scores --teacher CROSS_ENCODER --negatives 2`" in one(
        lint_records(unscored, loss="DistillKLDivLoss"), "loss-incompatible").fix
    # one number per row is no score per text: convert would refuse the column
    fix = one(lint_records([{**row, "label": 0.5} for row in TRIPLETS], loss="DistillKLDivLoss"),
              "loss-incompatible").fix
    assert fix.startswith("DistillKLDivLoss reads a score per text, which one number per row is not: drop column "
                          "'label', then `prep convert DATA --to n-tuple --scores --teacher CROSS_ENCODER "
                          "--negatives 1`")


def test_pair_fixes_for_a_scored_pair_loss_find_the_scores_or_the_negatives(lint_records) -> None:
    """Following `convert --to labeled-pair` on pairs with an unnamed score column, or with positives only, labelled
    every pair 1: CoSENTLoss then learns nothing (constant-label)."""
    similar = [{"anchor": row["sentence1"], "positive": row["sentence2"], "similarity": row["score"]} for row in PAIRS]
    assert one(lint_records(similar, loss="CoSENTLoss"), "loss-incompatible").fix == (
        "Name the scores: `prep convert DATA --columns score=similarity --to labeled-pair --scores` writes what "
        "CoSENTLoss reads.")
    positives = [{"anchor": row["sentence1"], "positive": row["sentence2"], "dataset_name": "x"} for row in PAIRS]
    fix = one(lint_records(positives, loss="CoSENTLoss"), "loss-incompatible").fix
    assert "The rows hold positives only" in fix and "`prep run DATA --layout labeled-pair` mines negatives" in fix
    booleans = [{"anchor": row["sentence1"], "positive": row["sentence2"], "label": row["score"] > 0} for row in PAIRS]
    assert "text scores" not in one(lint_records(booleans, loss="MultipleNegativesRankingLoss"),
                                    "loss-incompatible").fix
    texts = [{**row, "score": str(row["score"])} for row in PAIRS]  # prep's readers refuse text scores
    assert one(lint_records(texts, loss="CoSENTLoss"), "loss-incompatible").fix.startswith(
        "Store the labels as numbers (`dataset.cast_column('score', Value('float32'))`)")


def test_graded_list_labels_below_zero_are_shifted_not_divided(lint_records) -> None:
    lists = [{"query": "q", "docs": ["a", "b", "c"], "labels": [2.0, 0.0, -1.0]}]
    assert one(lint_records(lists, loss="LambdaLoss"), "score-range").fix.startswith(
        "Shift the labels so that the lowest is 0: `dataset.map(lambda row: {'labels': [x + 1 for x in "
        "row['labels']]})`")


def test_softmax_loss_reads_class_probabilities(lint_records) -> None:
    # ST 6.3's SoftmaxLoss: "(input_A, input_B) pairs | class probabilities", float lists as long as num_labels that
    # nn.CrossEntropyLoss takes as soft targets; ST's docstring asks for non-negative values summing to 1 per pair.
    soft = [{"premise": "a man sleeps", "hypothesis": "a person rests", "label": [0.8, 0.15, 0.05]},
            {"premise": "a dog runs", "hypothesis": "a cat sits", "label": [0.33, 0.33, 0.33]}]
    assert not lint_records(soft, loss="SoftmaxLoss")
    assert one(lint_records(soft, loss="CrossEntropyLoss"), "loss-incompatible")  # a CrossEncoder's: classes only
    bad = [*soft, {"premise": "a bird", "hypothesis": "a fish", "label": [0.1, 0.2, 0.3]},
           {"premise": "a car", "hypothesis": "a bus", "label": [1.5, -0.5, 0.0]}]
    finding = one(lint_records(bad, loss="SoftmaxLoss"), "score-range")
    assert finding.rows == (3, 4) and finding.message.startswith("'label' lists in 2 rows are no class probabilities")
    single = [{**row, "label": [1.0]} for row in soft]  # num_labels > 1
    assert one(lint_records(single, loss="SoftmaxLoss"), "score-range").rows == (1, 2)
    ragged = [*soft, {"premise": "a bird", "hypothesis": "a fish", "label": [0.4, 0.6]}]
    finding = one(lint_records(ragged, loss="SoftmaxLoss"), "layout-schema")  # torch.tensor(labels) fails
    assert finding.rows == (3,) and "holds lists of 3 numbers in 2 rows, 2 in 1 row" in finding.message
    one_hot = [{**row, "label": [1, 0, 0]} for row in soft]  # an int64 column: a Long target CrossEntropyLoss refuses
    assert "lists of whole numbers (List(Int64))" in one(lint_records(one_hot, loss="SoftmaxLoss"),
                                                         "score-range").message
