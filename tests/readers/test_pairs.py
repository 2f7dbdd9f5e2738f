"""Scored pairs: score > 0 makes sentence2 a positive of sentence1, score <= 0 a negative; the score is kept."""

import json
import re
from pathlib import Path

import pytest
from plain_norm import norm

from pipeline.errors import ConfigError, InputError
from pipeline.readers import read_dataset

PAIRS = [
    {"sentence1": "A man plays guitar.", "sentence2": "A man is playing a guitar.", "score": 4.8},
    {"sentence1": "A man plays guitar.", "sentence2": "A woman slices onions.", "score": 0.0},
    {"sentence1": "A cat sleeps.", "sentence2": "A cat is sleeping on a sofa.", "score": 3.5},
    {"sentence1": "A cat sleeps. ", "sentence2": "Dogs bark loudly.", "score": -1.0},
    {"sentence1": "Kids play football.", "sentence2": "Children are playing soccer.", "score": 4.2},
    {"sentence1": "The sun is hot.", "sentence2": "Snow is cold.", "score": 0.4},
    {"sentence1": "Stocks fell today.", "sentence2": "The market dropped.", "score": 3.9},
]


def test_scores_split_pairs_into_positives_and_negatives(write_table, linked) -> None:
    canon = read_dataset(write_table("sts.jsonl", PAIRS))
    assert canon.queries.height == 5
    assert linked(canon, "positives") == {
        ("A man plays guitar.", "A man is playing a guitar."): {"score": 4.8},
        ("A cat sleeps.", "A cat is sleeping on a sofa."): {"score": 3.5},
        ("Kids play football.", "Children are playing soccer."): {"score": 4.2},
        ("The sun is hot.", "Snow is cold."): {"score": 0.4},
        ("Stocks fell today.", "The market dropped."): {"score": 3.9},
    }
    assert linked(canon, "negatives") == {
        ("A man plays guitar.", "A woman slices onions."): {"score": 0.0, "rank": 1, "source": "input"},
        ("A cat sleeps.", "Dogs bark loudly."): {"score": -1.0, "rank": 1, "source": "input"},
    }


def test_label_column_and_csv(write_table, linked) -> None:
    rows = [{"sentence1": row["sentence1"], "sentence2": row["sentence2"], "label": int(row["score"] > 1)}
            for row in PAIRS]
    canon = read_dataset(write_table("nli.csv", rows), "pairs")
    assert linked(canon, "positives")[("A cat sleeps.", "A cat is sleeping on a sofa.")] == {"score": 1.0}
    assert set(linked(canon, "negatives")) == {
        ("A man plays guitar.", "A woman slices onions."), ("A cat sleeps.", "Dogs bark loudly."),
        ("The sun is hot.", "Snow is cold.")}


def test_columns_mapping(write_table, linked) -> None:
    rows = [{"a": row["sentence1"], "b": row["sentence2"], "sim": row["score"]} for row in PAIRS]
    path = write_table("mapped.parquet", rows)
    for columns in ({"sentence1": "a", "sentence2": "b", "score": "sim"}, {"anchor": "a", "positive": "b",
                                                                          "label": "sim"}):
        canon = read_dataset(path, "pairs", columns=columns)
        assert len(linked(canon, "positives")) == 5
        assert len(linked(canon, "negatives")) == 2


@pytest.mark.parametrize(("anchor", "positive", "score"), [
    ("query", "answer", "label"), ("anchor", "positive", "score"), ("question", "pos", "similarity_score")])
def test_pairs_named_with_st_synonyms(write_table, linked, anchor: str, positive: str, score: str) -> None:
    rows = [{anchor: row["sentence1"], positive: row["sentence2"], score: row["score"]} for row in PAIRS]
    canon = read_dataset(write_table("qa.jsonl", rows))
    assert linked(canon, "positives")[("A cat sleeps.", "A cat is sleeping on a sofa.")] == {"score": 3.5}
    assert linked(canon, "negatives") == {
        ("A man plays guitar.", "A woman slices onions."): {"score": 0.0, "rank": 1, "source": "input"},
        ("A cat sleeps.", "Dogs bark loudly."): {"score": -1.0, "rank": 1, "source": "input"}}


def test_label_0_answers_of_a_qa_csv_are_negatives(write_table, linked) -> None:
    rows = [{"query": "what is bm25", "answer": "BM25 ranks documents.", "label": 1},
            {"query": "what is bm25", "answer": "Dune is a novel.", "label": 0},
            {"query": "who wrote dune", "answer": "Frank Herbert wrote Dune.", "label": 1}]
    canon = read_dataset(write_table("qa.csv", rows))
    assert set(linked(canon, "positives")) == {("what is bm25", "BM25 ranks documents."),
                                               ("who wrote dune", "Frank Herbert wrote Dune.")}
    assert set(linked(canon, "negatives")) == {("what is bm25", "Dune is a novel.")}


def test_errors_name_the_users_columns(write_table) -> None:
    path = write_table("qa.jsonl", [{"query": "q", "answer": "a", "label": "yes"}])
    with pytest.raises(InputError, match=r"qa\.jsonl, line 1, field 'label': expected a number, got str"):
        read_dataset(path, "pairs")
    with pytest.raises(InputError, match=r"--columns maps sentence2 to 'doc', which is not a column"):
        read_dataset(path, "pairs", columns={"sentence2": "doc"})
    no_anchor = write_table("text.jsonl", [{"text": "q", "answer": "a", "label": 1}])
    with pytest.raises(InputError, match=r"text\.jsonl: missing column 'sentence1' for sentence1 \(looked for "
                       r"sentence1\|anchor\|query\|question\|premise\); columns are \['text', 'answer', 'label'\]"):
        read_dataset(no_anchor, "pairs")


def test_missing_score_column_is_named(write_table) -> None:
    path = write_table("pairs.jsonl", [{"sentence1": "a", "sentence2": "b"}])
    with pytest.raises(InputError, match=r"pairs\.jsonl: missing column 'score' for score"):
        read_dataset(path, "pairs")


def test_score_that_is_not_a_number_is_named(write_table) -> None:
    path = write_table("pairs.jsonl", [{"sentence1": "a", "sentence2": "b", "score": "high"}])
    with pytest.raises(InputError, match=r"pairs\.jsonl, line \d+, field 'score': expected a number, got str"):
        read_dataset(path, "pairs")


def test_null_score_is_rejected(write_table) -> None:
    path = write_table("pairs.jsonl", [PAIRS[0], {"sentence1": "a", "sentence2": "b", "score": None}])
    with pytest.raises(InputError, match=r"line 2, field 'score'"):
        read_dataset(path, "pairs")


def test_stsbenchmark(shared_data: Path, linked) -> None:
    path = shared_data / "stsbenchmark" / "train.jsonl"
    expected: dict[str, dict] = {"positives": {}, "negatives": {}}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            pair = (norm(record["sentence1"]), norm(record["sentence2"]))
            if all(pair):
                table = "positives" if record["score"] > 0 else "negatives"
                expected[table].setdefault(pair, float(record["score"]))
    canon = read_dataset(path)
    for table, scores in expected.items():
        assert {pair: link["score"] for pair, link in linked(canon, table).items()} == scores


def test_nan_score_is_rejected_not_made_a_negative(write_table) -> None:
    path = write_table("pairs.csv", [{"sentence1": "a", "sentence2": "b", "score": "0.5"},
                                     {"sentence1": "c", "sentence2": "d", "score": "nan"}])
    with pytest.raises(InputError, match=r"pairs\.csv, row 2, field 'score': is null; expected a number"):
        read_dataset(path, "pairs")


def test_a_label_and_a_score_column_must_be_chosen_between(write_table, linked) -> None:
    path = write_table("both.jsonl", [{"sentence1": "a cat sits", "sentence2": "a cat is sitting", "label": 1,
                                       "score": 0.9},
                                      {"sentence1": "a car", "sentence2": "a bus", "label": 0, "score": 0.1}])
    with pytest.raises(InputError, match=r"both\.jsonl: has 2 score columns \(score, label\); choose one with "
                       r"--columns score=COLUMN"):
        read_dataset(path)
    canon = read_dataset(path, columns={"score": "label"})
    assert (canon.positives.height, canon.negatives.height) == (1, 1)


def test_a_label_first_seen_after_the_peeked_rows_is_a_second_score_column_too(write_table) -> None:
    """Pairs chose its columns from the first 1,000 lines and read the score, dropping a label from line 1,101."""
    rows = [{"sentence1": f"s{i}", "sentence2": f"t{i}", "score": 0.5} for i in range(1_200)]
    rows[1_100]["label"] = 0
    path = write_table("late.jsonl", rows)
    with pytest.raises(InputError, match=r"late\.jsonl: has 2 score columns \(score, label\); choose one with "
                       r"--columns score=COLUMN"):
        read_dataset(path)
    assert read_dataset(path, columns={"score": "score"}).positives.height == 1_200


@pytest.mark.parametrize(("columns", "message"), [
    ({"score": "relevance", "label": "label"}, "maps score and label, two names of one pairs role, to 'relevance' "
                                               "and 'label'; give one"),
    ({"sentence1": "sentence1", "anchor": "other"}, "maps sentence1 and anchor, two names of one pairs role")])
def test_one_role_mapped_under_both_its_names_is_an_error(write_table, columns: dict, message: str) -> None:
    """pairs read the column of the role's own name and dropped the other mapping without a word."""
    path = write_table("both.jsonl", [{"sentence1": "a cat sits", "other": "a dog", "sentence2": "a cat is sitting",
                                       "relevance": 1, "label": 0}])
    with pytest.raises(ConfigError, match=re.escape(message)):
        read_dataset(path, "pairs", columns=columns)


@pytest.mark.parametrize(("role", "alias", "other"), [("sentence1", "anchor", "query"),
                                                       ("sentence2", "positive", "answer")])
def test_two_columns_for_one_text_role_must_be_chosen_between(write_table, linked, role: str, alias: str,
                                                              other: str) -> None:
    rows = [row | {other: f"other {row[role]}"} for row in PAIRS]
    path = write_table("both.csv", rows)
    with pytest.raises(InputError, match=rf"both\.csv: has 2 {role} columns \({role}, {other}\); choose one with "
                       rf"--columns {role}=COLUMN"):
        read_dataset(path)
    for key in (role, alias):  # the pairs role, or st's name for it
        pairs = linked(read_dataset(path, columns={key: other}), "positives")
        assert {pair[0 if role == "sentence1" else 1] for pair in pairs} == {
            norm(row[other]) for row in rows if row["score"] > 0}


@pytest.mark.parametrize("name", ["qa.jsonl", "qa.parquet"])
def test_boolean_labels_are_ones_and_zeros(write_table, linked, name: str) -> None:
    rows = [{"query": "what is bm25", "answer": "BM25 ranks documents.", "label": True},
            {"query": "what is bm25", "answer": "Dune is a novel.", "label": False}]
    canon = read_dataset(write_table(name, rows), "pairs")
    assert {pair: link["score"] for pair, link in linked(canon, "positives").items()} == {
        ("what is bm25", "BM25 ranks documents."): 1.0}
    assert {pair: link["score"] for pair, link in linked(canon, "negatives").items()} == {
        ("what is bm25", "Dune is a novel."): 0.0}


def test_nli_classes_are_refused_not_read_as_scores(tmp_path: Path) -> None:
    """ST's all-nli pair-class: 0 entailment, 1 neutral, 2 contradiction. As scores (above 0 a positive) every
    contradiction would be a positive and every entailment a negative."""
    path = tmp_path / "nli.jsonl"
    rows = [{"premise": f"a man plays {i}", "hypothesis": f"someone plays {i}", "label": i % 3} for i in range(6)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(InputError, match=r"nli\.jsonl, field 'label': 'label' holds NLI classes .* keep the entail"):
        read_dataset(path)
    snli = tmp_path / "snli.jsonl"  # SNLI marks a pair without a gold label -1
    snli.write_text("".join(json.dumps({**row, "label": row["label"] - (i == 0)}) + "\n" for i, row in enumerate(rows)))
    with pytest.raises(InputError, match="holds NLI classes"):
        read_dataset(snli)
    binary = tmp_path / "binary.jsonl"  # 0/1 labels are relevance, as in paraphrase pairs
    binary.write_text("".join(json.dumps({**row, "label": row["label"] % 2}) + "\n" for row in rows))
    assert read_dataset(binary).positives.height == 2


def test_a_negatives_column_beside_scored_pairs_is_refused(write_table) -> None:
    """(question, answer, label, hard_negative) was read as scored pairs: the negatives were dropped without a word."""
    path = write_table("qa.jsonl", [{"question": "q", "answer": "a", "label": 1, "hard_negative": "n"}])
    with pytest.raises(InputError, match=r"field 'hard_negative': 'hard_negative' looks like negatives, which scored "
                                         r"pairs \(one pair a row, scored by 'label'\) have no place for"):
        read_dataset(path)


def test_class_labels_whose_zero_is_a_match_are_refused(tmp_path) -> None:
    """GLUE's RTE and QNLI: ClassLabel ['entailment', 'not_entailment']. Read as scores, every entailment (0) was a
    negative and every other pair a positive: `datasets` says what the numbers mean, in the file."""
    import datasets

    def write(names: list[str], labels: list[int], name: str) -> Path:
        features = datasets.Features({"sentence1": datasets.Value("string"), "sentence2": datasets.Value("string"),
                                      "label": datasets.ClassLabel(names=names)})
        data = datasets.Dataset.from_dict({"sentence1": ["a plane takes off", "three men play chess"],
                                           "sentence2": ["an air plane takes off", "two men play chess"],
                                           "label": labels}, features=features)
        data.to_parquet(str(tmp_path / f"{name}.parquet"))
        data.save_to_disk(str(tmp_path / name))
        return tmp_path / name

    rte = write(["entailment", "not_entailment"], [0, 1], "rte")
    for path in (rte, tmp_path / "rte.parquet"):
        with pytest.raises(InputError, match=r"field 'label': 'label' holds classes \(0 entailment, 1 "
                                             r"not_entailment\), not relevance: .* every 'entailment' pair would be a "
                                             r"negative\. Flip them so that 1 is entailment"):
            read_dataset(path)
    mnli = write(["entailment", "neutral", "contradiction"], [0, 2], "mnli")
    with pytest.raises(InputError, match=r"Keep the entailment pairs .*row\['label'\] == 0\)"):
        read_dataset(mnli)
    qqp = write(["not_duplicate", "duplicate"], [1, 0], "qqp")  # 1 is the match: read as it is
    assert read_dataset(qqp).positives.height == 1


def test_a_csv_score_padded_with_spaces_is_a_number(write_table, linked) -> None:
    """datasets' CSV loader (pandas) reads ' 3.0 ' as 3.0, and so trains on it; prep refused it."""
    path = write_table("pairs.csv", [{"sentence1": "a cat", "sentence2": "a kitten", "score": " 3.0 "}])
    assert linked(read_dataset(path), "positives") == {("a cat", "a kitten"): {"score": 3.0}}
