"""BEIR folders: corpus.jsonl with titles, queries.jsonl, qrels/<split>.tsv."""

import json
from pathlib import Path

import pytest
from beir_files import write_beir_folder

from pipeline.errors import InputError
from pipeline.readers import read_dataset

CORPUS = [
    {"_id": "d1", "title": "BM25", "text": "ranks documents."},
    {"_id": "d2", "title": "", "text": "Dune is a novel."},
    {"_id": "d3", "text": "Frank Herbert wrote Dune."},
    {"_id": "d4", "title": "Paris", "text": "is the capital of France."},
    {"_id": "d5", "title": "Mars", "text": "is red."},
    {"_id": "d6", "title": "Jupiter", "text": "is the largest planet."},
    {"_id": "d7", "title": "Unjudged", "text": "appears in no qrels."},
]
QUERIES = [
    {"_id": "q1", "text": "what is bm25"},
    {"_id": "q2", "text": "who wrote dune"},
    {"_id": "q3", "text": "capital of france"},
    {"_id": "q4", "text": "largest planet"},
    {"_id": "q5", "text": "red planet"},
]
TRAIN = [("q1", "d1", 1), ("q1", "d2", 0), ("q2", "d3", 2), ("q2", "d2", 1), ("q2", "d1", 0), ("q3", "d4", 1),
         ("q4", "d6", 1), ("q4", "d5", 0)]
TEST = [("q5", "d5", 1)]


def write_beir(folder: Path, train: list[tuple] = TRAIN) -> Path:
    return write_beir_folder(folder, CORPUS, QUERIES, {"train": train, "test": TEST})


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    return write_beir(tmp_path / "tiny")


def test_titles_are_joined_to_texts(beir: Path) -> None:
    corpus = set(read_dataset(beir).corpus["text"])
    assert corpus == {"BM25 ranks documents.", "Dune is a novel.", "Frank Herbert wrote Dune.",
                      "Paris is the capital of France.", "Mars is red.", "Jupiter is the largest planet.",
                      "Unjudged appears in no qrels."}


def test_positive_scores_are_positives(beir: Path, linked) -> None:
    canon = read_dataset(beir)
    assert linked(canon, "positives") == {
        ("what is bm25", "BM25 ranks documents."): {"score": 1.0},
        ("who wrote dune", "Frank Herbert wrote Dune."): {"score": 2.0},
        ("who wrote dune", "Dune is a novel."): {"score": 1.0},
        ("capital of france", "Paris is the capital of France."): {"score": 1.0},
        ("largest planet", "Jupiter is the largest planet."): {"score": 1.0},
    }


def test_a_positive_names_its_own_qrels_line(beir: Path) -> None:
    canon = read_dataset(beir)
    query_of = {query["_id"]: query["text"] for query in QUERIES}
    doc_of = {doc["_id"]: " ".join(filter(None, (doc.get("title"), doc["text"]))) for doc in CORPUS}
    lines = {(query_of[query], doc_of[doc]): line for line, (query, doc, score) in enumerate(TRAIN, 2) if score > 0}
    found = canon.positives.join(canon.queries, on="query_id").join(canon.corpus, on="doc_id", suffix="_doc")
    assert {(query, doc): row for query, doc, row in found.select("text", "text_doc", "row").iter_rows()} == lines
    assert lines["who wrote dune", "Dune is a novel."] == 5  # not the query's first qrels line (4)


def test_a_negative_names_its_own_qrels_line(beir: Path) -> None:
    canon = read_dataset(beir)
    found = canon.negatives.join(canon.queries, on="query_id").join(canon.corpus, on="doc_id", suffix="_doc")
    assert {(query, doc): row for query, doc, row in found.select("text", "text_doc", "row").iter_rows()} == {
        ("what is bm25", "Dune is a novel."): 3,
        ("who wrote dune", "BM25 ranks documents."): 6,  # not the query's first qrels line (4)
        ("largest planet", "Mars is red."): 9,
    }


def test_zero_scores_are_negatives_ranked_in_qrels_order(beir: Path, linked) -> None:
    negatives = linked(read_dataset(beir), "negatives")
    assert {pair: (link["score"], link["rank"]) for pair, link in negatives.items()} == {
        ("what is bm25", "Dune is a novel."): (0.0, 1),
        ("who wrote dune", "BM25 ranks documents."): (0.0, 1),
        ("largest planet", "Mars is red."): (0.0, 1),
    }


def test_qrels_negatives_have_source_qrels(beir: Path, linked) -> None:
    negatives = linked(read_dataset(beir), "negatives")
    assert {link["source"] for link in negatives.values()} == {"qrels"}


def test_split_picks_the_qrels_file(beir: Path, linked) -> None:
    train, test = read_dataset(beir, split="train"), read_dataset(beir, split="test")
    assert sorted(train.queries["text"]) == ["capital of france", "largest planet", "what is bm25", "who wrote dune"]
    assert set(linked(test, "positives")) == {("red planet", "Mars is red.")}
    assert test.corpus.height == train.corpus.height == len(CORPUS)
    assert test.sources == (beir,)


def test_rows_are_queries_located_by_their_first_qrels_line(beir: Path) -> None:
    canon = read_dataset(beir)
    assert canon.rows["row"].to_list() == [2, 4, 7, 8]


def test_unknown_split_lists_the_splits(beir: Path) -> None:
    with pytest.raises(InputError, match=r"dev\.tsv: no qrels for split 'dev'; splits here: \['test', 'train'\]"):
        read_dataset(beir, split="dev")


@pytest.mark.parametrize(("bad", "field", "unknown"), [
    (("q9", "d1", 1), "query-id", "q9"), (("q1", "d9", 0), "corpus-id", "d9")])
def test_unknown_ids_name_the_qrels_line_and_field(tmp_path: Path, bad: tuple, field: str, unknown: str) -> None:
    folder = write_beir(tmp_path / "bad", [*TRAIN[:3], bad, *TRAIN[3:]])
    with pytest.raises(InputError) as error:
        read_dataset(folder)
    qrels = folder / "qrels" / "train.tsv"
    assert str(error.value).startswith(f"{qrels}, line 5, field '{field}': id '{unknown}' is not in")
    assert error.value.line == 5
    assert error.value.field == field


def test_score_that_is_not_a_number_is_located(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "bad", [*TRAIN[:1], ("q1", "d2", "high")])
    with pytest.raises(InputError, match=r"train\.tsv, line 3, field 'score': score 'high' is not a number"):
        read_dataset(folder)


def test_folder_without_corpus_is_not_beir(tmp_path: Path) -> None:
    (tmp_path / "queries.jsonl").write_text(json.dumps(QUERIES[0]) + "\n")
    with pytest.raises(InputError, match="not a BEIR folder"):
        read_dataset(tmp_path, "beir")


def test_an_id_given_two_texts_is_an_error_and_a_repeated_line_is_not(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "repeated")
    positives = read_dataset(folder, "beir", "train").positives
    with (folder / "corpus.jsonl").open("a") as handle:
        handle.write(json.dumps(CORPUS[0]) + "\n")  # the same line again: harmless
    with (folder / "qrels" / "train.tsv").open("a") as handle:
        handle.write("\n")  # a blank line at the end: not a judgement
    assert read_dataset(folder, "beir", "train").positives.equals(positives)
    with (folder / "corpus.jsonl").open("a") as handle:
        handle.write(json.dumps({"_id": "d1", "text": "something else"}) + "\n")
    with pytest.raises(InputError, match=r"corpus\.jsonl, line 9, field '_id': _id 'd1' has another text on line 1"):
        read_dataset(folder, "beir", "train")


def test_integer_ids_then_string_ids_are_read_as_one_kind(tmp_path: Path) -> None:
    """BEIR ids are strings or integers; a corpus whose ids turn from numbers into strings after the rows the
    reader peeks at (1,000) is read whole, a blank line between, and the qrels find both kinds."""
    folder = write_beir(tmp_path / "mixed", train=[("q1", 7, 1), ("q2", "x1500", 1)])
    records = [{"_id": number if number < 1200 else f"x{number}", "text": f"document {number}"}
               for number in range(1600)]
    lines = [json.dumps(record) for record in records]
    lines.insert(1300, "")
    (folder / "corpus.jsonl").write_text("\n".join(lines) + "\n")
    canon = read_dataset(folder, "beir", "train")
    assert canon.corpus.height == 1600
    pairs = canon.positives.join(canon.queries, on="query_id").join(canon.corpus, on="doc_id", suffix="_doc")
    assert sorted(pairs.select("text", "text_doc").rows()) == [("what is bm25", "document 7"),
                                                               ("who wrote dune", "document 1500")]


@pytest.mark.parametrize("fmt", ["st", "flag", "pairs", "lists"])
def test_a_beir_folder_read_as_another_format_says_so(beir: Path, fmt: str) -> None:
    # Not "move qrels/ out of the folder", which the folder-of-JSON-files reader said: that would break the folder.
    with pytest.raises(InputError, match=rf"a BEIR folder \(corpus.jsonl, queries.jsonl, qrels/\), which --format "
                                         rf"{fmt} does not read: use --format beir, or leave --format out"):
        read_dataset(beir, fmt)


@pytest.mark.parametrize(("train", "message"), [
    ([*TRAIN[:1], ("q1", "d9", 1)], r"line 3, field 'corpus-id': id 'd9' is not in corpus\.jsonl \(1 such line\)$"),
    ([*TRAIN[:1], ("q9", "d1", 1), ("q9", "d2", 1)],
     r"line 3, field 'query-id': id 'q9' is not in queries\.jsonl \(2 such lines\)$"),
])
def test_a_qrels_id_without_a_text_is_located_and_counted(tmp_path: Path, train: list[tuple], message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_dataset(write_beir(tmp_path / "unknown", train))


def test_an_error_at_a_row_names_the_qrels_file_line_and_id_column(beir: Path) -> None:
    from pipeline.readers.beir import read_beir

    rows, _ = read_beir(beir)
    error = str(rows.error("is null; expected text", 3, "positive"))
    assert error == f"{beir / 'qrels' / 'train.tsv'}, line 3, field 'corpus-id': is null; expected text"
