"""FlagEmbedding JSONL: {query, pos: [..], neg: [..]} with optional pos_scores / neg_scores."""

import json
import re
from pathlib import Path

import datasets
import pytest
from plain_norm import norm

from pipeline.errors import InputError
from pipeline.readers import read_dataset

ROWS = [
    {"query": "what is bm25", "pos": ["BM25 ranks documents."], "neg": ["Dune is a novel.", "Mars is red."],
     "pos_scores": [0.9], "neg_scores": [0.2, 0.1], "prompt": "Represent this query: ", "type": "normal"},
    {"query": "who wrote dune", "pos": ["Frank Herbert wrote Dune."], "neg": ["BM25 ranks documents."],
     "pos_scores": [1], "neg_scores": [0]},
    {"query": "what is bm25 ", "pos": ["BM25 uses term frequency.", "BM25 ranks documents."],
     "neg": ["Paris is in France.", "Dune is a novel."]},
    {"query": "capital of france", "pos": ["Paris is the capital of France."], "neg": []},
    {"query": "largest planet", "pos": ["Jupiter is the largest planet."],
     "neg": ["Mars is red.", "Saturn has rings.", "Venus is hot."]},
]


def test_rows_become_canonical_tables(write_table, linked) -> None:
    canon = read_dataset(write_table("train.jsonl", ROWS), "flag")
    assert canon.rows.height == 5
    assert canon.queries.height == 4
    assert canon.corpus.height == 10
    assert set(linked(canon, "positives")) == {
        ("what is bm25", "BM25 ranks documents."), ("who wrote dune", "Frank Herbert wrote Dune."),
        ("what is bm25", "BM25 uses term frequency."), ("capital of france", "Paris is the capital of France."),
        ("largest planet", "Jupiter is the largest planet.")}
    assert len(linked(canon, "negatives")) == 7


def test_scores_are_carried_and_missing_scores_are_null(write_table, linked) -> None:
    canon = read_dataset(write_table("train.jsonl", ROWS), "flag")
    positives, negatives = linked(canon, "positives"), linked(canon, "negatives")
    assert positives[("what is bm25", "BM25 ranks documents.")]["score"] == 0.9
    assert positives[("who wrote dune", "Frank Herbert wrote Dune.")]["score"] == 1.0
    assert positives[("what is bm25", "BM25 uses term frequency.")]["score"] is None
    assert negatives[("what is bm25", "Mars is red.")] == {"score": 0.1, "rank": 2, "source": "input"}
    assert negatives[("who wrote dune", "BM25 ranks documents.")]["score"] == 0.0
    assert negatives[("largest planet", "Venus is hot.")] == {"score": None, "rank": 3, "source": "input"}


def test_prompt_and_type_are_kept_per_query(write_table) -> None:
    canon = read_dataset(write_table("train.jsonl", ROWS), "flag")
    instructions = canon.instructions.join(canon.queries, on="query_id").select("text", "prompt", "type")
    assert instructions.rows() == [("what is bm25", "Represent this query: ", "normal")]


def test_repeated_query_keeps_the_first_rank_of_a_negative(write_table, linked) -> None:
    canon = read_dataset(write_table("train.jsonl", ROWS), "flag")
    negatives = linked(canon, "negatives")
    assert negatives[("what is bm25", "Dune is a novel.")]["rank"] == 1
    assert negatives[("what is bm25", "Paris is in France.")]["rank"] == 1


def test_rows_without_neg_have_no_negatives(write_table) -> None:
    rows = [{"query": row["query"], "pos": row["pos"]} for row in ROWS]
    canon = read_dataset(write_table("train.jsonl", rows), "flag")
    assert canon.negatives.height == 0
    assert canon.positives.height == 5


@pytest.mark.parametrize("name", ["train.jsonl", "train.json"])
def test_neg_empty_in_every_row_is_read(write_table, name: str) -> None:
    # A JSON array of such rows types `neg` as a list of nulls: still a list of texts, all of them empty.
    rows = [{"query": row["query"], "pos": row["pos"], "neg": []} for row in ROWS]
    canon = read_dataset(write_table(name, rows), "flag")
    assert (canon.negatives.height, canon.positives.height) == (0, 5)


def test_flag_rows_in_a_json_file(tmp_path: Path, write_table) -> None:
    """FlagEmbedding ships its examples as .json files holding one object per line."""
    path = tmp_path / "toy_finetune_data.json"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS), encoding="utf-8")
    expected = read_dataset(write_table("train.jsonl", ROWS), "flag")
    canon = read_dataset(path, "flag")
    assert sorted(canon.negatives.rows()) == sorted(expected.negatives.rows())


def test_missing_pos_is_named(write_table) -> None:
    path = write_table("train.jsonl", [{"query": "q", "neg": ["n"]}])
    with pytest.raises(InputError, match=r"train\.jsonl: missing required field 'pos'"):
        read_dataset(path, "flag")


def test_datasets_dict_split(tmp_path: Path) -> None:
    split = datasets.Dataset.from_list([{key: row[key] for key in ("query", "pos", "neg")} for row in ROWS])
    datasets.DatasetDict({"test": split}).save_to_disk(str(tmp_path / "dict"))
    assert read_dataset(tmp_path / "dict", "flag", split="test").queries.height == 4


def expected_links(path: Path, role: str) -> dict[tuple[str, str], dict]:
    """Links counted in plain Python: the first occurrence of each (query, doc) with its score and rank."""
    links: dict[tuple[str, str], dict] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            query, texts = norm(record["query"]), record.get(role) or []
            scores = record.get(f"{role}_scores") or [None] * len(texts)
            for rank, (text, score) in enumerate(zip(texts, scores, strict=True), start=1):
                if query and norm(text):
                    link = {"score": None if score is None else float(score)}
                    links.setdefault((query, norm(text)), link | ({"rank": rank} if role == "neg" else {}))
    return links


def test_flagembedding_examples(shared_data: Path, linked) -> None:
    files = sorted((shared_data / "flagembedding").glob("*.jsonl"))
    assert files
    for path in files:
        canon = read_dataset(path)
        assert canon.rows.height == len(path.read_text(encoding="utf-8").splitlines()), path
        assert linked(canon, "positives") == expected_links(path, "pos"), path
        negatives = {pair: {"score": link["score"], "rank": link["rank"]}
                     for pair, link in linked(canon, "negatives").items()}
        assert negatives == expected_links(path, "neg"), path


@pytest.mark.parametrize(("extra", "message"), [
    ({"hard_negatives": ["n2"]}, "field 'hard_negatives': 'hard_negatives' looks like negatives, which FlagEmbedding "
                                 "reads from the field neg only"),
    ({"negative": "n2"}, "field 'negative': 'negative' looks like negatives"),
    ({"positive": ["p2"]}, "field 'positive': has pos and positive, two positive fields; FlagEmbedding reads pos only"),
    ({"anchor": "q"}, "field 'anchor': has query and anchor, two anchor fields; FlagEmbedding reads query only"),
])
def test_a_field_flag_does_not_read_but_holds_its_texts_is_refused(write_table, extra, message) -> None:
    """FlagEmbedding's reader reads query, pos and neg; prep read them too and dropped the rest, then mined
    negatives in place of the given ones."""
    path = write_table("flag.jsonl", [{"query": "q", "pos": ["p"], "neg": ["n"], **extra}])
    with pytest.raises(InputError, match=re.escape(message)):
        read_dataset(path)
    plain = write_table("plain.jsonl", [{"query": "q", "pos": ["p"], "neg": ["n"], "num_negatives": "1"}])
    assert read_dataset(plain).negatives.height == 1  # a name that only holds the word is other data
