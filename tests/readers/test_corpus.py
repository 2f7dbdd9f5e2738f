"""Extra corpus texts (`--corpus`): .txt lines, a table with a text column, or a BEIR corpus.jsonl."""

import json
import re
from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import InputError
from pipeline.readers import read_dataset

ROWS = [{"anchor": f"query {i}", "positive": f"passage {i}"} for i in range(5)]


def test_txt_lines_are_taken_verbatim(write_table, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text('plain line\n"quoted", with a comma\n\n  spaced\tout  \npassage 1\n', encoding="utf-8")
    data = write_table("train.jsonl", ROWS)
    canon = read_dataset(data, corpus=corpus)
    assert set(canon.corpus["text"]) == {f"passage {i}" for i in range(5)} | {
        "plain line", '"quoted", with a comma', "  spaced\tout  "}
    assert canon.positives.height == 5
    assert canon.sources == (data, corpus)


def test_table_with_text_and_title(write_table) -> None:
    corpus = write_table("extra.jsonl", [{"_id": 1, "title": "Mars", "text": "is red."}, {"text": "untitled"}])
    canon = read_dataset(write_table("train.jsonl", ROWS), corpus=corpus)
    assert {"Mars is red.", "untitled"} <= set(canon.corpus["text"])
    assert canon.corpus.height == 7


def test_corpus_adds_to_a_beir_corpus(tmp_path: Path, write_table) -> None:
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(json.dumps({"_id": "d1", "text": "own doc"}) + "\n")
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "query"}) + "\n")
    (folder / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    canon = read_dataset(folder, corpus=write_table("extra.csv", [{"text": "extra doc"}]))
    assert set(canon.corpus["text"]) == {"own doc", "extra doc"}
    assert canon.positives.height == 1


def test_missing_corpus_file(write_table, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothing\.txt: no such corpus file"):
        read_dataset(write_table("train.jsonl", ROWS), corpus=tmp_path / "nothing.txt")


def test_table_without_text_field(write_table) -> None:
    corpus = write_table("extra.jsonl", [{"title": "only a title"}])
    with pytest.raises(InputError, match=r"extra\.jsonl: missing required field 'text'; fields are \[.*\]; rename the "
                                         "column that holds the documents to text"):
        read_dataset(write_table("train.jsonl", ROWS), corpus=corpus)


def test_null_text_is_located(write_table) -> None:
    corpus = write_table("extra.jsonl", [{"text": "fine"}, {"text": None}])
    with pytest.raises(InputError, match=r"extra\.jsonl, line 2, field 'text': is null"):
        read_dataset(write_table("train.jsonl", ROWS), corpus=corpus)


def test_empty_txt_corpus(write_table, tmp_path: Path) -> None:
    corpus = tmp_path / "empty.txt"
    corpus.write_text("")
    assert read_dataset(write_table("train.jsonl", ROWS), corpus=corpus).corpus.height == 5


def test_txt_line_with_any_character(write_table, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"\xef\xbb\xbfunit\x1fseparator\nsecond, \"line\"\r\n")
    canon = read_dataset(write_table("train.jsonl", ROWS), corpus=corpus)
    assert {"unit\x1fseparator", 'second, "line"'} <= set(canon.corpus["text"])


def test_txt_not_utf8_is_located(write_table, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"fine\nbad \xff byte\n")
    with pytest.raises(InputError, match=r"corpus\.txt, line 2: invalid UTF-8"):
        read_dataset(write_table("train.jsonl", ROWS), corpus=corpus)


def test_a_beir_folder_as_corpus_names_its_corpus_file(write_table, tmp_path: Path) -> None:
    # it used to say "unsupported file type ''; use .jsonl, .json, .csv, .tsv, .parquet or .arrow"
    folder = tmp_path / "beir"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(json.dumps({"_id": "d1", "text": "own doc"}) + "\n")
    with pytest.raises(InputError, match=r"beir: a folder \(a BEIR folder: give --corpus .*corpus\.jsonl\); "
                                         r"--corpus takes BEIR corpus\.jsonl"):
        read_dataset(write_table("train.jsonl", ROWS), corpus=folder)


def test_a_folder_of_parquet_shards_is_a_corpus(write_table, tmp_path: Path) -> None:
    write_table("shards/part-0.parquet", [{"text": "shard doc"}])
    canon = read_dataset(write_table("train.jsonl", ROWS), corpus=tmp_path / "shards")
    assert "shard doc" in set(canon.corpus["text"])


def test_an_unknown_suffix_lists_every_suffix_a_corpus_is_read_from(write_table, tmp_path: Path) -> None:
    # The list lacked .txt (and .ndjson, .feather, .ipc), though --corpus reads them.
    data = write_table("train.jsonl", ROWS)
    unknown = tmp_path / "corpus.xyz"
    unknown.write_text("a text\n")
    with pytest.raises(InputError, match=r"unsupported file type '\.xyz'; use ") as raised:
        read_dataset(data, corpus=unknown)
    listed = re.findall(r"\.\w+", str(raised.value).split("; use ", 1)[1])
    assert ".txt" in listed
    writers = {".txt": _write_lines, ".jsonl": pl.DataFrame.write_ndjson, ".ndjson": pl.DataFrame.write_ndjson,
               ".json": pl.DataFrame.write_json, ".csv": pl.DataFrame.write_csv,
               ".tsv": lambda frame, path: frame.write_csv(path, separator="\t"),
               ".parquet": pl.DataFrame.write_parquet, ".arrow": pl.DataFrame.write_ipc,
               ".feather": pl.DataFrame.write_ipc, ".ipc": pl.DataFrame.write_ipc}
    for suffix in listed:  # each one listed is read
        path = tmp_path / f"extra{suffix}"
        writers[suffix](pl.DataFrame({"text": [f"extra doc in {suffix}"]}), path)
        assert f"extra doc in {suffix}" in set(read_dataset(data, corpus=path).corpus["text"]), suffix


def _write_lines(frame: pl.DataFrame, path: Path) -> None:
    path.write_text("".join(f"{text}\n" for text in frame["text"]), encoding="utf-8")


def test_a_corpus_passage_that_pandas_reads_as_missing_is_an_empty_one(write_table, tmp_path: Path) -> None:
    """A CSV or TSV cell 'N/A' is a null as pandas reads it; in the corpus, which only prep reads, it stopped the run.
    It is left out, as an empty passage is, and counted."""
    corpus = tmp_path / "corpus.tsv"
    corpus.write_text("text\npassage one\nN/A\npassage three\n", encoding="utf-8")
    canon = read_dataset(write_table("train.jsonl", ROWS), corpus=corpus)
    assert {"passage one", "passage three"} <= set(canon.corpus["text"]) and "N/A" not in set(canon.corpus["text"])


def test_a_txt_corpus_with_brackets_in_its_path_is_read(write_table, tmp_path: Path) -> None:
    """Polars reads a path as a glob pattern unless told not to: corpus[1].txt matched no file and gave 0 texts."""
    corpus = tmp_path / "run[1]" / "corpus[1].txt"
    corpus.parent.mkdir()
    corpus.write_text("extra 1\nextra 2\n", encoding="utf-8")
    canon = read_dataset(write_table("train.jsonl", ROWS), corpus=corpus)
    assert {"extra 1", "extra 2"} <= set(canon.corpus["text"])
