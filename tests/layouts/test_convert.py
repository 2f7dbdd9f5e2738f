"""`prep convert`: round trips between layouts lose nothing the target can hold; Parquet shards; determinism."""

import json
import unicodedata
from pathlib import Path

import datasets
import polars as pl
import pytest
from beir_files import write_beir_folder
from flag_rows import NEGATIVES, POSITIVES

from pipeline.errors import ConfigError, InputError


def rows_of(folder: Path) -> list[dict]:
    if (folder / "train.jsonl").exists():
        return [json.loads(line) for line in (folder / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    return datasets.load_from_disk(str(folder)).to_list()


def scored(*pairs: tuple[str, str, float]) -> list[dict]:
    return [{"sentence1": one, "sentence2": two, "score": score} for one, two, score in pairs]


def as_set(rows: list[dict]) -> set:
    return {tuple((key, tuple(value) if isinstance(value, list) else value) for key, value in row.items())
            for row in rows}


def test_n_tuple_to_flag_and_back(flag_data, convert_to, tmp_path):
    convert_to(flag_data, out="a", negatives=2)
    convert_to(tmp_path / "a", out="b", layout="flag", group_size=3, negatives=2)
    convert_to(tmp_path / "b" / "train.jsonl", out="c", negatives=2)
    assert as_set(rows_of(tmp_path / "c")) == as_set(rows_of(tmp_path / "a")) and len(rows_of(tmp_path / "a")) == 2


def test_a_flag_output_folder_is_read_as_its_train_data(write_table, flag_data, convert_to, tmp_path):
    """As lint reads it: not as a folder of JSON files beside its own manifest, report and rejects."""
    convert_to(flag_data, out="a", negatives=2)
    convert_to(tmp_path / "a", out="b", layout="flag", group_size=3, negatives=2)
    manifest = convert_to(tmp_path / "b", out="c", negatives=2)
    assert as_set(rows_of(tmp_path / "c")) == as_set(rows_of(tmp_path / "a"))
    assert [entry["path"] for entry in manifest["inputs"]] == [str(tmp_path / "b" / "train.jsonl")]  # what was read
    typed = [{"query": f"q{i}", "pos": [f"p{i}"], "neg": [f"n{i}"], "type": kind} for i, kind in enumerate("ab")]
    convert_to(write_table("typed.jsonl", typed), out="typed", layout="flag", group_size=2, negatives=1)
    assert (tmp_path / "typed" / "train").is_dir()
    manifest = convert_to(tmp_path / "typed", out="back", negatives=1)
    assert [row["anchor"] for row in rows_of(tmp_path / "back")] == ["q0", "q1"]
    assert [Path(entry["path"]).relative_to(tmp_path) for entry in manifest["inputs"]] == [
        Path("typed/train/a.jsonl"), Path("typed/train/b.jsonl")]


def test_a_parquet_output_folder_is_read_as_its_data_folder(flag_data, convert_to, tmp_path):
    """As load_dataset("parquet", data_dir=OUT/data) reads it, and as an Arrow output folder is read; buckets one
    --split negN at a time, as from Arrow."""
    from pipeline.readers import read_dataset

    convert_to(flag_data, out="arrow", layout="n-tuple", negatives=2)
    convert_to(flag_data, out="pq", layout="n-tuple", negatives=2, shard_format="parquet", shard_rows=1)
    for source in ("arrow", "pq/data", "pq"):
        manifest = convert_to(tmp_path / source, out=source.replace("/", "-") + "-flag", layout="flag", group_size=3,
                              negatives=2)
    assert [Path(entry["path"]).name for entry in manifest["inputs"]] == [
        "train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    assert rows_of(tmp_path / "pq-flag") == rows_of(tmp_path / "arrow-flag") == rows_of(tmp_path / "pq-data-flag")
    assert len(rows_of(tmp_path / "pq-flag")) == 2
    convert_to(flag_data, out="buckets", layout="buckets", shard_format="parquet")
    assert read_dataset(tmp_path / "buckets", split="neg2").negatives.height == 2
    with pytest.raises(InputError, match=r"split 'neg3' not found; the folder has \['neg1', 'neg2', 'neg4'\] "
                                         r"\(a buckets layout: read one with --split NAME\)"):
        read_dataset(tmp_path / "buckets", split="neg3")


@pytest.mark.parametrize("shard_format", ["arrow", "parquet"])
def test_a_buckets_output_without_a_split_is_every_bucket(flag_data, convert_to, tmp_path, shard_format):
    """It was an error ("split 'train' not found") although the output's report.json counts every bucket: prep
    report OUT, and convert OUT --to another layout, now read them all, each row named by its bucket's folder."""
    from pipeline.readers import read_dataset
    from pipeline.report.profile import profile
    from pipeline.report.tokens import load_token_counter

    convert_to(flag_data, out="buckets", layout="buckets", shard_format=shard_format)
    every = read_dataset(tmp_path / "buckets")
    buckets = [read_dataset(tmp_path / "buckets", split=name) for name in ("neg1", "neg2", "neg4")]
    assert every.rows.height == sum(bucket.rows.height for bucket in buckets)
    assert every.negatives.height == sum(bucket.negatives.height for bucket in buckets)
    written = json.loads((tmp_path / "buckets" / "report.json").read_text())
    again = profile(every, load_token_counter(None))
    assert {key: value for key, value in again.items() if key != "sources"} == {
        key: value for key, value in written.items() if key != "sources"}
    assert [part.path.name for part in every.parts] == ["neg1", "neg2", "neg4"]
    assert convert_to(tmp_path / "buckets", out="n-tuple", layout="n-tuple", negatives=1)["stages"][-1]["reconciled"]


def test_an_arrow_output_folder_is_described_by_the_data_files_read(flag_data, convert_to, tmp_path):
    """The manifest's inputs, of a prep output given as DATA, are the data files read (as for a Parquet or flag
    output), not its manifest, report and rejects beside them; buckets: every split's files."""
    from pipeline.config import LayoutConfig, RunConfig
    from pipeline.convert import convert
    from pipeline.run import RunInputs

    convert_to(flag_data, out="arrow", layout="n-tuple", negatives=2)
    manifest = convert_to(tmp_path / "arrow", out="again", layout="triplet")
    assert sorted(Path(entry["path"]).name for entry in manifest["inputs"]) == [
        "data-00000-of-00001.arrow", "dataset_info.json", "state.json"]
    convert_to(flag_data, out="buckets", layout="buckets")
    manifest = convert(RunInputs(tmp_path / "buckets", split="neg2"),
                       RunConfig(layout=LayoutConfig(layout="triplet", fill="drop")), tmp_path / "neg2")
    names = [Path(entry["path"]).relative_to(tmp_path / "buckets").as_posix() for entry in manifest["inputs"]]
    assert "dataset_dict.json" in names and "neg2/state.json" in names
    assert not {"manifest.json", "rejects.parquet", "report.json", "report.html"} & set(names)


def test_teacher_scores_survive_flag_to_n_tuple_and_back(write_table, convert_to, tmp_path):
    """The n-tuple's `label` list [positive, negatives...] carries FlagEmbedding's pos_scores / neg_scores."""
    flag = write_table("scored.jsonl", [
        {"query": "what is bm25", "pos": ["BM25 ranks documents."], "neg": ["Dune is a novel.", "Mars is red."],
         "pos_scores": [0.9], "neg_scores": [0.2, 0.1]},
        {"query": "who wrote dune", "pos": ["Frank Herbert wrote Dune."], "neg": ["Mars is red.", "Paris is big."],
         "pos_scores": [0.8], "neg_scores": [0.4, 0.3]}])
    convert_to(flag, out="a", negatives=2, scores=True)
    assert [row["label"] for row in rows_of(tmp_path / "a")] == [[0.9, 0.2, 0.1], [0.8, 0.4, 0.3]]
    convert_to(tmp_path / "a", out="b", layout="flag", group_size=3, negatives=2, scores=True)
    assert rows_of(tmp_path / "b") == json.loads("[" + ",".join(flag.read_text().splitlines()) + "]")


def test_flagembedding_prompt_and_type_are_written_where_every_query_has_them(write_table, convert_to, tmp_path):
    """FlagEmbedding reads a prompt for every row once any row has one: none is written when some query lacks it."""
    rows = [{"query": query, "pos": [f"{query} answer"], "neg": [f"{query} other"], "prompt": "Retrieve text.",
             "type": "only_1neg"} for query in ("first query", "second query")]
    manifest = convert_to(write_table("prompted.jsonl", rows), out="all", layout="flag", group_size=2, negatives=1)
    assert [(row["prompt"], row["type"]) for row in rows_of(tmp_path / "all")] == [("Retrieve text.", "only_1neg")] * 2
    assert "--query_instruction_for_retrieval" in manifest["layout"]["instructions"]["prompt"]["note"]
    del rows[1]["prompt"]
    manifest = convert_to(write_table("partial.jsonl", rows), out="partial", layout="flag", group_size=2,
                          negatives=1)
    assert [list(row) for row in rows_of(tmp_path / "partial")] == [["query", "pos", "neg", "type"]] * 2
    assert manifest["layout"]["instructions"]["prompt"] == {
        "queries_with_it": 1, "queries": 2, "written": False,
        "note": "1 of 2 queries have a prompt: FlagEmbedding reads one for every row or none (a missing one is read "
                "as None), so none is written"}
    manifest = convert_to(write_table("prompted.jsonl", rows[:1]), out="st", negatives=1)
    assert "prompts={'anchor': 'Retrieve text.'}" in manifest["layout"]["instructions"]["prompt"]["note"]
    # ST matches prompts to columns by name: the key is the layout's own query column.
    manifest = convert_to(write_table("prompted.jsonl", rows[:1]), out="pairs", layout="labeled-pair")
    assert "prompts={'sentence1': 'Retrieve text.'}" in manifest["layout"]["instructions"]["prompt"]["note"]
    # A CrossEncoder (labeled-list's listwise losses) reads a dict as dataset names: it takes one string.
    manifest = convert_to(write_table("prompted.jsonl", rows[:1]), out="lists", layout="labeled-list")
    assert "CrossEncoderTrainingArguments(prompts='Retrieve text.')" in \
        manifest["layout"]["instructions"]["prompt"]["note"]
    again = [*rows, rows[0] | {"type": "symmetric_class"}]  # the same query, another type: the first is kept
    manifest = convert_to(write_table("again.jsonl", again), out="again", layout="flag", group_size=2, negatives=1)
    assert [row["type"] for row in rows_of(tmp_path / "again")] == ["only_1neg"] * 2
    assert manifest["layout"]["instructions"]["disagreeing"] == {
        "queries": 1, "first_row": 3, "note": "1 query appears on rows with another prompt or type (the first such "
                                              "row: input row 3); each keeps the first it was given"}


def test_flag_writes_one_file_per_type_where_types_differ(write_table, convert_to, tmp_path):
    """FlagEmbedding's --same_dataset_within_batch fails on a batch that mixes types: each type gets a file."""
    kinds = ["only_1neg", "symmetric/class", "only_1neg", "symmetric:class"]
    rows = [{"query": f"query {index}", "pos": [f"answer {index}"], "neg": [f"other {index}"], "type": kind}
            for index, kind in enumerate(kinds)]
    manifest = convert_to(write_table("typed.jsonl", rows), layout="flag", group_size=2, negatives=1)
    folder = tmp_path / "out" / "train"
    assert not (tmp_path / "out" / "train.jsonl").exists()
    # no row holds a prompt: --same_dataset_within_batch, which the files are for, would put 'None' before each query
    assert manifest["layout"]["load"] == ("FlagEmbedding: --train_data OUT/train --train_group_size 2 "
                                          "--query_instruction_for_retrieval '' --query_instruction_format '{}{}'")
    assert manifest["layout"]["files"] == {"train/0-only_1neg.jsonl": 2, "train/1-symmetric_class.jsonl": 1,
                                           "train/2-symmetric_class.jsonl": 1}
    written = {path.name: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
               for path in folder.iterdir()}
    assert written == {"0-only_1neg.jsonl": [rows[0], rows[2]], "1-symmetric_class.jsonl": [rows[1]],
                       "2-symmetric_class.jsonl": [rows[3]]}
    assert manifest["layout"]["files_note"].endswith("the smallest, train/1-symmetric_class.jsonl, has 1 row")


def test_flag_type_files_differ_ignoring_case_and_none_is_hidden(write_table, convert_to, tmp_path):
    rows = [{"query": f"query {index}", "pos": [f"answer {index}"], "neg": [f"other {index}"], "type": kind}
            for index, kind in enumerate(["Normal", "normal", "", "normal"])]
    manifest = convert_to(write_table("typed.jsonl", rows), layout="flag", group_size=2, negatives=1)
    files = {"train/0-Normal.jsonl": 1, "train/1-normal.jsonl": 2, "train/2-untyped.jsonl": 1}
    assert manifest["layout"]["files"] == files
    assert sorted(path.relative_to(tmp_path / "out").as_posix() for path in (tmp_path / "out" / "train").iterdir()) \
        == sorted(files)


def test_a_rejected_query_without_a_prompt_does_not_keep_the_prompt_from_the_rows_written(write_table, convert_to,
                                                                                          tmp_path):
    """The prompt column is decided over the rows written: the only query without one is short of negatives."""
    rows = [{"query": "first query", "pos": ["first answer"], "neg": ["first other", "first more"],
             "prompt": "Retrieve text."},
            {"query": "second query", "pos": ["second answer"], "neg": ["second other"]}]
    manifest = convert_to(write_table("short.jsonl", rows), out="flag", layout="flag", group_size=3, negatives=2)
    assert rows_of(tmp_path / "flag") == [{"query": "first query", "pos": ["first answer"],
                                           "neg": ["first other", "first more"], "prompt": "Retrieve text."}]
    summary = manifest["layout"]["instructions"]["prompt"]
    assert {key: summary[key] for key in ("queries_with_it", "queries", "written")} == {
        "queries_with_it": 1, "queries": 1, "written": True}
    assert "--query_instruction_for_retrieval" in summary["note"]  # when FlagEmbedding reads the column


def test_scores_missing_from_the_input_are_located(write_table, convert_to):
    flag = write_table("scored.jsonl", [
        {"query": "q1", "pos": ["p1"], "neg": ["n1", "n2"], "pos_scores": [0.9], "neg_scores": [0.2, 0.1]},
        {"query": "q2", "pos": ["p2"], "neg": ["n3", "n4"], "pos_scores": [0.8]},
        {"query": "q3", "pos": ["p3"], "neg": ["n5", "n6"], "neg_scores": [0.4, 0.3]}])
    with pytest.raises(InputError, match=r"scored\.jsonl, line 2, field 'neg_scores': --scores: no score for "
                                         r"this negative; 3 of the \(query, text\) pairs have no score"):
        convert_to(flag, layout="flag", group_size=3, negatives=2, scores=True)


def test_flag_keeps_every_negative_with_all_negatives(write_table, convert_to, tmp_path):
    """FlagEmbedding samples train_group_size - 1 of a row's negatives each epoch: a longer list serves it."""
    rows = [{"query": "q one", "pos": ["p one"], "neg": ["n1", "n2", "n3", "n4"], "pos_scores": [0.9],
             "neg_scores": [0.4, 0.3, 0.2, 0.1]},
            {"query": "q two", "pos": ["p two"], "neg": ["n5"], "pos_scores": [0.8], "neg_scores": [0.5]}]
    flag = write_table("long.jsonl", rows)
    convert_to(flag, out="k", layout="flag", group_size=3, negatives=2)
    assert [row["neg"] for row in rows_of(tmp_path / "k")] == [["n1", "n2"]]
    manifest = convert_to(flag, out="all", layout="flag", group_size=3, negatives=2, all_negatives=True,
                          scores=True)
    assert rows_of(tmp_path / "all") == rows[:1]  # the query short of 2 negatives is still set aside
    assert manifest["stages"][-1]["rejected_by_reason"] == {"fewer_than_group_size_negatives": 1}
    with pytest.raises(ConfigError, match="all_negatives is for the flag layout"):
        convert_to(flag, out="n", all_negatives=True)


def test_flag_to_labeled_list_and_back(flag_data, convert_to, tmp_path):
    convert_to(flag_data, out="a", layout="flag", group_size=2, negatives=1)
    convert_to(tmp_path / "a" / "train.jsonl", out="b", layout="labeled-list")
    convert_to(tmp_path / "b", out="c", layout="flag", group_size=2, negatives=1)
    assert rows_of(tmp_path / "c") == rows_of(tmp_path / "a")


def test_triplet_to_labeled_list_and_back(flag_data, convert_to, tmp_path):
    convert_to(flag_data, out="a", layout="triplet")
    convert_to(tmp_path / "a", out="b", layout="labeled-list")
    convert_to(tmp_path / "b", out="c", layout="triplet")
    assert as_set(rows_of(tmp_path / "c")) == as_set(rows_of(tmp_path / "a"))


def test_scored_pairs_to_labeled_list_and_back_keep_the_scores(write_table, convert_to, tmp_path):
    pairs = write_table("pairs.jsonl", scored(
        ("a man plays a guitar", "a person plays music", 0.8),
        ("a man plays a guitar", "a cat sleeps", 0.0),
        ("a man plays a guitar", "someone is playing guitar", 0.95),
        ("the sky is blue", "the sky has a blue colour", 0.7),  # graded positives, no negative: a ranking still
        ("the sky is blue", "blue is the colour of the sky", 0.9),
        ("a bird sings", "a bird is singing", 0.6),  # one positive and nothing else: nothing to rank
        ("a dog runs", "stocks fell today", 0.0)))  # a query with no positive
    convert_to(pairs, out="a", layout="labeled-pair", scores=True)
    listed = convert_to(tmp_path / "a", out="b", layout="labeled-list", scores=True)
    convert_to(tmp_path / "b", out="c", layout="labeled-pair", scores=True)
    original = {(r["sentence1"], r["sentence2"], r["score"]) for r in rows_of(tmp_path / "a")}
    assert len(original) == 7, "labeled-pair holds a query that has only a 0-scored pair"
    # labeled-list cannot: a list whose labels are all the same teaches a listwise loss nothing. Rejects say so.
    assert listed["stages"][0]["rows_rejected"] == 1 and listed["stages"][1]["rows_rejected"] == 1
    rejects = pl.read_parquet(tmp_path / "b" / "rejects.parquet")
    assert rejects["reason"].to_list() == ["no_positive", "no_negatives"]
    assert rejects["anchor"][1] == "a bird sings"
    kept = {(r["sentence1"], r["sentence2"], r["score"]) for r in rows_of(tmp_path / "c")}
    assert kept == original - {("a dog runs", "stocks fell today", 0.0), ("a bird sings", "a bird is singing", 0.6)}


def test_texts_are_written_as_given_and_texts_that_normalise_alike_are_one(write_table, convert_to, tmp_path):
    """Written NFKC-normalised with whitespace collapsed, x² became x2 and a code block one line: the model trained on
    texts it never sees at inference. Ids stay those of the normalised text: its first form is the one written."""
    code = "def f(x):\n\treturn x  *  2"
    rows = [{"query": "x² + y² = r²", "pos": ["E = mc²"], "neg": [code]},
            {"query": "x2 + y2 = r2", "pos": ["E = mc2"], "neg": ["Größe von Österreich"]},  # the same ids
            {"query": "what is ｶﾀｶﾅ", "pos": ["ﬁnancial ratios"], "neg": ["  padded  "]}]
    manifest = convert_to(write_table("forms.jsonl", rows), layout="flag", negatives=1, all_negatives=True)
    written = rows_of(tmp_path / "out")
    assert [row["query"] for row in written] == ["x² + y² = r²", "what is ｶﾀｶﾅ"]
    assert written[0]["pos"] == ["E = mc²"] and written[0]["neg"] == [code, "Größe von Österreich"]
    assert written[1] == {"query": "what is ｶﾀｶﾅ", "pos": ["ﬁnancial ratios"], "neg": ["  padded  "]}
    assert manifest["stages"][0]["rows_in"] == 3


def test_a_folder_whose_file_names_say_an_eval_split_is_converted_with_a_warning(convert_to, tmp_path):
    """validation.jsonl beside train.jsonl went into the training rows with nothing said (datasets reads it apart)."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("train.jsonl", "validation.jsonl"):
        (folder / name).write_text("".join(json.dumps({"anchor": f"{name} q{i}", "positive": f"p{i}",
                                                       "negative": f"n{i}"}) + "\n" for i in range(2)))
    manifest = convert_to(folder, layout="triplet", negatives=1)
    assert manifest["stages"][0]["rows_in"] == 4  # read whole, not refused
    warning = manifest["layout"]["split_names_warning"]
    assert "would give validation.jsonl the validation split" in warning
    assert f"give {folder / 'train.jsonl'} alone as DATA, or move validation.jsonl out of the folder" in warning


def test_what_a_flag_output_cannot_carry_from_its_input_is_said(write_table, convert_to, tmp_path):
    """FlagEmbedding turns off in-batch negatives for a --train_data named *no_in_batch_neg, and trains only_1neg rows
    with one negative; OUT/train.jsonl lost the mark, and the rows of one negative were rejected without a word."""
    folder = tmp_path / "classification-no_in_batch_neg"
    folder.mkdir()
    rows = [{"query": f"query {i}", "pos": ["the shared label"], "neg": [f"other {i}"], "type": "only_1neg"}
            for i in range(3)]
    (folder / "banking.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    manifest = convert_to(folder, layout="flag", negatives=3)
    assert "OUT/train-no_in_batch_neg.jsonl" in manifest["layout"]["train_data_note"]
    assert manifest["layout"]["types_note"].startswith(
        "3 queries of FlagEmbedding type only_1neg hold fewer than 3 negatives and are rejected")
    kept = convert_to(folder, out="kept", layout="flag", negatives=3, fill="repeat")["layout"]
    assert "types_note" not in kept and "train_data_note" in kept
    plain = write_table("plain.jsonl", [{**row, "type": "normal"} for row in rows])
    assert not {"types_note", "train_data_note"} & set(convert_to(plain, out="plain", layout="flag")["layout"])


def test_scores_that_only_part_of_the_input_has_are_said_to_be_left_out(write_table, convert_to):
    rows = [{"query": "q1", "pos": ["p1"], "neg": ["n1"], "pos_scores": [0.9], "neg_scores": [0.2]},
            {"query": "q2", "pos": ["p2"], "neg": ["n2"]}]
    note = convert_to(write_table("mixed.jsonl", rows), layout="flag", negatives=1)["layout"]["scores_note"]
    assert note.startswith("2 (query, text) pairs have the input's scores and 2 none: they are left out")


def test_pairs_of_one_label_are_warned_of(write_table, convert_to, prep, tmp_path):
    """ContrastiveLoss on pairs all labelled 1 only pulls texts together; CoSENT finds no pair to order."""
    positives = write_table("positives.jsonl", scored(("a cat sits", "a cat is sitting", 0.9),
                                                      ("dogs run", "dogs are running", 0.3)))
    result = prep("convert", positives, "--to", "labeled-pair", "--binary", "--out", tmp_path / "binary")
    assert result.returncode == 0, result.stderr
    assert "every pair is labelled 1: a pair loss learns nothing from one label" in " ".join(result.stdout.split())
    graded = convert_to(positives, out="graded", layout="labeled-pair", scores=True)
    assert "warning" not in graded["layout"]
    assert "warning" not in convert_to(write_table("mixed.jsonl", scored(("a", "b", 1.0), ("a", "c", 0.0))),
                                       out="mixed", layout="labeled-pair", binary=True)["layout"]


def test_one_repeated_pair_with_another_score_is_named_in_the_singular(write_table, prep, tmp_path):
    pairs = write_table("pairs.csv", scored(("a cat sits", "a cat is sitting", 0.9),
                                            ("a cat sits", "a cat is sitting", 0.2)))
    result = prep("convert", pairs, "--to", "labeled-pair", "--scores", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    printed = " ".join(result.stdout.split())
    assert "1 repeated (query, text) pair has another score than its first occurrence" in printed


def test_a_repeated_scored_pair_is_counted_and_a_different_score_is_reported(write_table, prep, tmp_path):
    """A (sentence1, sentence2) given again keeps its first score; the repeat used to vanish without a word."""
    pairs = write_table("pairs.csv", scored(
        ("a cat sits", "a cat is sitting", 0.9),
        ("dogs run", "a cloud", 0.0),
        ("dogs run", "a cloud", -0.5),  # a negative again, with another score
        ("a cat sits", "a cat is sitting", 0.2),  # a positive again, with another score
        ("dogs run", "dogs are running", 0.8),
        ("dogs run", "dogs are running", 0.8)))
    result = prep("convert", pairs, "--to", "labeled-pair", "--scores", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "3 (query, text) pairs given again are kept once; 2 repeated (query, text) pairs have another score" in (
        " ".join(result.stdout.split()))
    same = write_table("same.csv", scored(("dogs run", "a cloud", 0.0), ("dogs run", "a cloud", 0.0)))
    again = prep("convert", same, "--to", "labeled-pair", "--out", tmp_path / "same")
    assert ("1 (query, text) pair given again is kept once (the first repeat: input row 2)" in
            " ".join(again.stdout.split())), "an exact repeat too: the output has a row fewer than the input"
    assert "(the first such repeat: input row 3)" in " ".join(result.stdout.split())  # as rich wraps it or not
    read = json.loads((tmp_path / "out" / "manifest.json").read_text())["stages"][0]
    assert read["repeated_pairs"] == {"positive": 2, "negative": 1, "with_another_score": 2,
                                      "rows_with_another_score": [3, 4]}  # in row order, whatever the role
    assert {(r["sentence1"], r["sentence2"], r["score"]) for r in rows_of(tmp_path / "out")} == {
        ("a cat sits", "a cat is sitting", 0.9), ("dogs run", "dogs are running", 0.8), ("dogs run", "a cloud", 0.0)}


def test_the_anchor_own_text_as_positive_goes_to_rejects_and_as_negative_is_dropped(write_table, convert_to,
                                                                                      tmp_path):
    data = write_table("st.jsonl", [
        {"anchor": "what is a cat", "positive": "what is  a cat", "negative": "dogs bark"},
        {"anchor": "why sky blue", "positive": "light scatters", "negative": "why sky blue "},
        {"anchor": "q3", "positive": "p3", "negative": "n3"}])
    manifest = convert_to(data, layout="labeled-pair")
    assert {(r["sentence1"], r["sentence2"], r["score"]) for r in rows_of(tmp_path / "out")} == {
        ("why sky blue", "light scatters", 1.0), ("q3", "p3", 1.0), ("q3", "n3", 0.0),
        ("what is a cat", "dogs bark", 0.0)}  # labeled-pair keeps the negatives of a query without a positive
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert rejects.select("row", "reason").rows() == [(1, "positive_is_anchor")]
    assert manifest["negatives"]["dropped_as_the_anchor_itself"] == 1
    assert manifest["stages"][1]["reconciled"]
    lonely = write_table("lonely.jsonl", [{"query": "q1", "pos": ["p1"], "neg": ["n1"]},
                                          {"query": "lonely query", "pos": [], "neg": ["lonely query"]}])
    read = convert_to(lonely, out="lonely", layout="labeled-pair")["stages"][0]
    assert (read["rows_out"], read["rows_rejected"]) == (1, 1)  # its only negative was dropped: nothing is left
    assert pl.read_parquet(tmp_path / "lonely" / "rejects.parquet").select("row", "reason").rows() == [
        (2, "negative_is_anchor")]  # labeled-pair keeps a query without a positive: its negative was the cause
    pairs = write_table("pairs.jsonl", scored(("a dog", "a dog", 0.0), ("a cat", "a kitten", 1.0),
                                              ("a cat", "a car", 0.0)))
    # A triplet needs a positive, which the row lacks whatever its negative: no_positive is its cause there.
    for layout, reason in (("labeled-pair", "negative_is_anchor"), ("triplet", "no_positive")):
        read = convert_to(pairs, out=layout, layout=layout)["stages"][0]
        assert (read["rejected_by_reason"], read["reconciled"]) == ({reason: 1}, True)
        assert pl.read_parquet(tmp_path / layout / "rejects.parquet")["reason"].to_list() == [reason]


def test_given_negatives_are_the_input_s_and_reconcile_with_the_dropped_and_kept(write_table, convert_to):
    data = write_table("flag.jsonl", [{"query": "a cat", "pos": ["a kitten"],
                                       "neg": ["a kitten", "a cat", "a dog", "a car"]}])
    assert convert_to(data, layout="triplet")["negatives"] == {
        "given": 4, "dropped_as_positive_of_the_same_query": 1, "dropped_as_a_positive_the_other_way_round": 0,
        "dropped_as_the_anchor_itself": 1, "in_output_rows": 2}


def test_conflict_free_batches_are_described_in_the_manifest(flag_data, convert_to):
    manifest = convert_to(flag_data, negatives=1, batch_size=2)
    assert manifest["batches"]["conflicts_after_layout"] == 0
    assert convert_to(flag_data, out="plain", negatives=1)["batches"] is None


def test_rows_that_repeat_a_query_are_noted_as_prep_run_notes_them(write_table, convert_to):
    """A query with two positives and three negatives: two n-tuple rows, six triplet rows (one per positive and
    negative), which an in-batch loss trains against each other unless the batches keep them apart."""
    rows = [{"query": "big", "pos": ["bp1", "bp2"], "neg": ["bn1", "bn2", "bn3"]},
            {"query": "small", "pos": ["sp"], "neg": ["sn1", "sn2", "sn3"]}]
    data = write_table("repeats.jsonl", rows)
    note = convert_to(data)["layout"]["batches_note"]
    assert note.startswith("1 row repeats an earlier row's query (one row per positive): ")
    assert "NO_DUPLICATES" in note
    triplet = convert_to(data, out="triplet", layout="triplet")["layout"]["batches_note"]
    assert triplet.startswith("7 rows repeat an earlier row's query (one row per positive and negative): ")
    assert "batches_note" not in convert_to(data, out="blocks", layout="triplet", batch_size=2)["layout"]
    assert "--batch-size B" in note  # not for buckets, which prep lays out in no blocks (it refuses --batch-size)
    buckets = convert_to(data, out="buckets", layout="buckets")["layout"]["batches_note"]
    assert "NO_DUPLICATES" in buckets and "--batch-size" not in buckets


def test_triplet_rows_set_aside_by_batches_reconcile_in_rows(write_table, convert_to, tmp_path):
    """--leftover reject sets triplet rows aside, some of a pair's rows only: a `batches` stage counts them in rows,
    and the layout stage's pairs still add up."""
    rows = [{"query": "big", "pos": ["bp1", "bp2"], "neg": [f"bn{i}" for i in range(6)]},
            *({"query": f"q{i}", "pos": [f"p{i}"], "neg": [f"n{i}a", f"n{i}b"]} for i in range(5))]
    manifest = convert_to(write_table("big.jsonl", rows), layout="triplet", batch_size=4, leftover="reject")
    layout, batches = manifest["stages"][1:]
    assert all(stage["reconciled"] for stage in manifest["stages"])
    assert (layout["rows_in"], layout["rows_out"], layout["rejected_by_reason"]) == (7, 7, {})
    set_aside = manifest["batches"]["rows_set_aside"]
    assert set_aside and batches["rejected_by_reason"] == {"no_conflict_free_batch": set_aside}
    assert batches["rows_in"] == 22 and batches["rows_out"] == 22 - set_aside
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert rejects.height == set_aside
    assert not rejects.select("anchor", "positive", "negative").is_duplicated().any()  # each row told apart


def test_parquet_shards_load_with_load_dataset(flag_data, convert_to, tmp_path):
    manifest = convert_to(flag_data, layout="triplet", shard_format="parquet", shard_rows=3)
    files = sorted(p.name for p in (tmp_path / "out" / "data").iterdir())
    assert files == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    loaded = datasets.load_dataset("parquet", data_dir=str(tmp_path / "out" / "data"))
    assert list(loaded) == ["train"] and len(loaded["train"]) == 8 == manifest["layout"]["splits"]["train"]["rows"]
    expected = {(q, p, n) for q in POSITIVES for p in POSITIVES[q] for n in NEGATIVES[q]}
    assert {(r["anchor"], r["positive"], r["negative"]) for r in loaded["train"]} == expected


def test_parquet_buckets_load_as_one_split_per_count(flag_data, convert_to, tmp_path):
    manifest = convert_to(flag_data, layout="buckets", shard_format="parquet")
    names = sorted(p.name for p in (tmp_path / "out" / "data").iterdir())
    assert names == ["neg1", "neg2", "neg4"] and f"for name in {names}" in manifest["layout"]["load"]
    data = tmp_path / "out" / "data"
    loaded = datasets.DatasetDict({name: datasets.load_dataset("parquet", data_dir=str(data / name), split="train")
                                   for name in names})
    assert len(loaded["neg1"]) == 2 and loaded["neg4"].column_names[-1] == "negative_4"


def test_arrow_shard_rows_splits_the_dataset(flag_data, convert_to, tmp_path):
    convert_to(flag_data, layout="triplet", shard_rows=3)
    assert len(list((tmp_path / "out").glob("data-*.arrow"))) == 3
    assert len(datasets.load_from_disk(str(tmp_path / "out"))) == 8


@pytest.mark.parametrize("layout", ["buckets", "flag", "labeled-list"])
def test_same_input_and_seed_give_identical_bytes(flag_data, convert_to, tmp_path, layout):
    fill = "repeat" if layout == "flag" else "drop"
    for out in ("one", "two"):
        convert_to(flag_data, out=out, layout=layout, fill=fill)
    first = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert first == sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if p.is_file())
    for name in first:
        if name.name != "manifest.json":  # it holds the timings
            assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_cli_convert_and_its_errors(flag_data, prep, tmp_path):
    result = prep("convert", flag_data, "--to", "labeled-list", "--out", tmp_path / "cli")
    assert result.returncode == 0, result.stderr
    assert "labeled-list (train 3 rows)" in " ".join(result.stdout.split())
    assert len(datasets.load_from_disk(str(tmp_path / "cli"))) == 3  # the sky query has no negatives
    mine = prep("convert", flag_data, "--to", "n-tuple", "--fill", "mine", "--out", tmp_path / "x")
    assert mine.returncode == 2 and "does not mine" in mine.stderr
    pad = prep("convert", flag_data, "--to", "n-tuple", "--fill", "pad", "--out", tmp_path / "x")
    assert pad.returncode == 2 and "--allow-padding" in pad.stderr
    binary = prep("convert", flag_data, "--to", "triplet", "--binary", "--out", tmp_path / "x")
    assert binary.returncode == 2 and "labeled-pair" in binary.stderr
    capped = prep("convert", flag_data, "--to", "triplet", "--negatives", "1", "--out", tmp_path / "x")
    assert capped.returncode == 2, capped.stderr  # not every negative written without a word
    assert capped.stderr.splitlines() == ["error: --negatives is K for n-tuple and flag; triplet keeps every negative "
                                          "the input gives (prep convert does not mine)"]
    assert not (tmp_path / "x").exists()


def test_cli_convert_refuses_a_k_beyond_what_prep_run_mines_before_reading(flag_data, prep, tmp_path):
    """K = 100,000 built rows of 100,002 columns for every query and did not end; the bound is prep run's."""
    huge = prep("convert", flag_data, "--to", "n-tuple", "--negatives", "100000", "--out", tmp_path / "x")
    assert huge.returncode == 2, huge.stderr
    assert " ".join(huge.stderr.split()) == ("error: --negatives: at most 1024 negatives per row, got 100000; an "
                                             "input with more negatives per query than 1024 keeps every one with "
                                             "--to flag --all-negatives or --to buckets")
    config = tmp_path / "prep.toml"  # named by what set K, before the input is read
    config.write_text("[layout]\nlayout = 'flag'\ngroup_size = 1026\n")
    filed = prep("convert", tmp_path / "missing.jsonl", "--to", "flag", "--config", config, "--out", tmp_path / "x")
    assert filed.returncode == 2, filed.stderr
    assert " ".join(filed.stderr.split()).startswith(f"error: {config}: [layout] group_size: at most 1025 (1024 "
                                                     "negatives per row), got 1026")
    assert not (tmp_path / "x").exists()


def test_cli_convert_names_k_as_given_and_bounds_it_only_where_rows_or_fills_of_k_are_built(flag_data, prep, tmp_path):
    """group_size 2000 was refused as 'got 1999' (K, not what the user wrote), and flag --all-negatives as 'keeps every
    one with --to flag --all-negatives', asked for already: its rows hold the input's negatives, K only the least a
    row keeps, so with --fill drop it builds nothing of K and is not refused; --fill repeat adds up to K a row."""
    group = prep("convert", flag_data, "--to", "flag", "--group-size", "2000", "--out", tmp_path / "x")
    assert group.returncode == 2, group.stderr
    assert " ".join(group.stderr.split()).startswith("error: --group-size: at most 1025 (1024 negatives per row), "
                                                     "got 2000;")
    every = ("convert", flag_data, "--to", "flag", "--all-negatives", "--negatives", "5000")
    repeat = prep(*every, "--fill", "repeat", "--out", tmp_path / "x")
    assert repeat.returncode == 2, repeat.stderr
    assert " ".join(repeat.stderr.split()) == ("error: --negatives: at most 1024 negatives per row, got 5000; --fill "
                                               "repeat adds up to 5,000 negatives to each short query; with --fill "
                                               "drop, K is only the least a row keeps")
    dropped = prep(*every, "--out", tmp_path / "out")
    assert dropped.returncode == 0, dropped.stderr
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["config"]["mining"]["negatives"] == 5000


def test_cli_convert_refuses_negatives_from_the_file_for_a_layout_that_keeps_every_negative(flag_data, prep, tmp_path):
    """As --negatives is refused there: the file's K was otherwise dropped without a word. A file's fill 'mine' is named
    as the file's too."""
    config = tmp_path / "prep.toml"
    config.write_text("[mining]\nnegatives = 1\n")
    refused = prep("convert", flag_data, "--to", "triplet", "--config", config, "--out", tmp_path / "x")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.splitlines() == [f"error: {config}: [mining] negatives is K for n-tuple and flag; triplet "
                                           "keeps every negative the input gives (prep convert does not mine)"]
    config.write_text("[layout]\nfill = 'mine'\n")
    refused = prep("convert", flag_data, "--to", "n-tuple", "--config", config, "--out", tmp_path / "x")
    assert refused.stderr.splitlines() == [f"error: {config}: [layout] fill 'mine': prep convert does not mine: use "
                                           "--fill drop, repeat or pad, or prep run to mine"]
    assert not (tmp_path / "x").exists()


def test_cli_convert_refuses_an_out_that_holds_its_input_or_lies_in_it(flag_data, convert_to, prep, tmp_path):
    """An earlier flag output holds train.jsonl: converting it into the same folder would delete it on the replace."""
    convert_to(flag_data, out="flag", layout="flag", group_size=3, negatives=2, fill="repeat")
    written = tmp_path / "flag" / "train.jsonl"
    before = written.read_bytes()
    same = prep("convert", written, "--to", "n-tuple", "--out", tmp_path / "flag")
    assert same.returncode == 2, same.stderr
    assert same.stderr.strip().splitlines() == [f"error: --out {tmp_path / 'flag'} holds DATA {written}: choose an "
                                                "--out apart from the inputs"]
    assert written.read_bytes() == before
    inside = prep("convert", tmp_path / "flag", "--to", "n-tuple", "--out", tmp_path / "flag" / "out")
    assert inside.returncode == 2 and f"lies inside DATA {tmp_path / 'flag'}: " in inside.stderr
    assert sorted(path.name for path in (tmp_path / "flag").iterdir()) == ["manifest.json", "rejects.parquet",
                                                                           "report.html", "report.json", "train.jsonl"]


@pytest.mark.parametrize("layout", ["n-tuple", "buckets", "triplet", "labeled-pair", "labeled-list", "flag"])
def test_every_written_layout_passes_prep_lint(flag_data, convert_to, tmp_path, layout):
    from pipeline.lint.context import LintOptions
    from pipeline.lint.runner import lint

    extra = {"group_size": 3, "negatives": 2} if layout == "flag" else {}
    convert_to(flag_data, layout=layout, fill="repeat" if layout in ("n-tuple", "flag") else "drop", **extra)
    written = tmp_path / "out" / "train.jsonl" if layout == "flag" else tmp_path / "out"
    result = lint(written, LintOptions(layout=layout, group_size=3 if layout == "flag" else None))
    assert result.errors() == 0, [(f.rule, f.message) for f in result.findings]


@pytest.mark.parametrize(("toml", "message"), [
    ("[mining]\nnegative = 2\n", "[mining] negative: unknown setting; did you mean negatives?"),
    ("[layout]\nshard_rowz = 2\n", "[layout] shard_rowz: unknown setting; did you mean shard_rows?"),
    ("[encodr]\nmodel = 'x'\n", "[encodr]: unknown table; did you mean encoder?"),
    ("[mining]\nrelative_margin = 0.2\n", "mining.relative_margin would be ignored (they are for prep run)"),
])
def test_convert_config_tells_an_unknown_key_from_one_for_prep_run(tmp_path, toml, message):
    from pipeline.convert import check_convert_config

    config = tmp_path / "prep.toml"
    config.write_text(toml)
    with pytest.raises(ConfigError) as error:
        check_convert_config(config)
    assert str(error.value).startswith(f"{config}: ") and message in str(error.value)
    assert "unknown" not in str(error.value) or "would be ignored" not in str(error.value)


def test_cli_convert_refuses_config_it_would_ignore_and_publishes_to_a_uri(flag_data, prep, tmp_path):
    config = tmp_path / "prep.toml"
    config.write_text('[layout]\nfill = "repeat"\n[encoder]\nmodel = "nope"\n[mining]\nrelative_margin = 0.2\n')
    refused = prep("convert", flag_data, "--to", "n-tuple", "--config", config, "--out", tmp_path / "x")
    assert refused.returncode == 2 and "encoder, mining.relative_margin would be ignored" in refused.stderr
    config.write_text('[mining]\nnegative = 2\n')
    refused = prep("convert", flag_data, "--to", "n-tuple", "--config", config, "--out", tmp_path / "x")
    assert refused.returncode == 2 and "[mining] negative: unknown setting; did you mean negatives?" in refused.stderr
    published = prep("convert", flag_data, "--to", "triplet", "--out", f"file://{tmp_path / 'remote'}")
    assert published.returncode == 0, published.stderr
    assert len(datasets.load_from_disk(str(tmp_path / "remote"))) == 8
    assert json.loads((tmp_path / "remote" / "manifest.json").read_text())["config"]["mining"]["negatives"] == 3


def test_empty_texts_are_counted_in_the_manifest(write_table, convert_to):
    rows = write_table("train.jsonl", [{"anchor": "a0", "positive": "p0", "negative": "n0"},
                                       {"anchor": "a0", "positive": " ", "negative": "n4"},  # merged into a0
                                       {"anchor": "a2", "positive": "p2", "negative": ""}])
    manifest = convert_to(rows, out="a", layout="n-tuple")
    assert manifest["stages"][0]["empty_texts"] == {"query": 0, "positive": 1, "negative": 1}


def test_empty_texts_left_out_are_said_on_the_console_with_their_first_row(write_table, prep, tmp_path):
    # Cranfield's qrels judge an empty document: its pair vanished from the output without a word on the console.
    rows = write_table("train.jsonl", [{"anchor": "a0", "positive": "p0", "negative": "n0"},
                                       {"anchor": "a1", "positive": "p1", "negative": "n1"},
                                       {"anchor": "a1", "positive": " ", "negative": "n4"},
                                       {"anchor": "a2", "positive": "p2", "negative": ""}])
    result = prep("convert", rows, "--to", "triplet", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    expected = ("left out 2 empty or whitespace-only texts (positive 1, negative 1) from the output "
                "(the first: input row 3); manifest: stages.read.empty_texts")
    assert expected in " ".join(result.stdout.split())
    read = json.loads((tmp_path / "out" / "manifest.json").read_text())["stages"][0]
    assert read["rows_with_empty_texts"] == [3, 4]
    clean = prep("convert", write_table("clean.jsonl", [{"anchor": "a0", "positive": "p0", "negative": "n0"}]),
                 "--to", "triplet", "--out", tmp_path / "clean")
    assert clean.returncode == 0 and "left out" not in clean.stdout, clean.stderr
    assert "rows_with_empty_texts" not in json.loads((tmp_path / "clean" / "manifest.json").read_text())["stages"][0]
    # In a BEIR folder: the empty document's own qrels line (3, not its query's first, 2); an empty document no
    # qrels judge is not a text of the input.
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_text("".join(json.dumps({"_id": f"d{i}", "title": "", "text": text}) + "\n"
                                               for i, text in enumerate(["p0", "", "n0", ""])))
    (beir / "queries.jsonl").write_text(json.dumps({"_id": "q0", "text": "a0"}) + "\n")
    (beir / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td0\t1\nq0\td1\t1\nq0\td2\t0\n")
    result = prep("convert", beir, "--to", "triplet", "--out", tmp_path / "beir_out")
    assert result.returncode == 0, result.stderr
    assert "left out 1 empty or whitespace-only text (positive 1) from the output (the first: train.tsv line 3)" \
           in " ".join(result.stdout.split())


def test_a_flag_turns_off_what_the_config_file_turns_on(write_table, prep, tmp_path):
    pairs = write_table("pairs.csv", scored(("a cat sits", "a cat is sitting", 0.9),
                                      ("dogs run", "a cloud", 0.0)))
    config = tmp_path / "prep.toml"
    config.write_text("[layout]\nscores = true\n")
    for flag, expected in (([], [0.9, 0.0]), (["--no-scores"], [1.0, 0.0])):
        out = tmp_path / f"out{len(flag)}"
        result = prep("convert", pairs, "--to", "labeled-pair", "--config", config, *flag, "--out", out)
        assert result.returncode == 0, result.stderr
        assert sorted(r["score"] for r in rows_of(out)) == sorted(expected)


def test_an_output_of_no_rows_is_a_warning_that_says_where_they_went(write_table, prep, tmp_path):
    lists = write_table("lists.jsonl", [{"query": "lq1", "docs": ["d1", "d2", "d3"], "labels": [1, 0, 0]},
                                        {"query": "lq2", "docs": ["d4", "d5"], "labels": [0, 0]},
                                        {"query": "lq3", "docs": ["d6", "d7", "d8"], "labels": [2, 1, 0]}])
    result = prep("convert", lists, "--to", "flag", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr  # the run did what it was asked; the warning says what came of it
    expected = ("no rows written: all 3 (query, positive) pairs were set aside (fewer_than_group_size_negatives 3); "
                "1 of 3 input rows held no usable (query, positive) pair (no_positive 1); see rejects.parquet; "
                "for rows short of negatives: lower to --group-size 3, the most the rows hold, add copies of their "
                "own negatives with --fill repeat, or mine more with prep run")
    assert f"warning: {expected}" in " ".join(result.stdout.split())
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["layout"]["warning"] == expected
    assert manifest["stages"][0]["rejected_by_reason"] == {"no_positive": 1}


def test_a_pair_given_as_positive_and_as_negative_is_said_with_its_row(write_table, prep, tmp_path):
    pairs = write_table("pairs.jsonl", [{"sentence1": "a plane takes off", "sentence2": "a jet departs", "score": 5.0},
                                        {"sentence1": "a cat sits", "sentence2": "a dog runs", "score": 0.0},
                                        {"sentence1": "a plane takes off", "sentence2": "a jet departs", "score": 0.0}])
    result = prep("convert", pairs, "--to", "labeled-pair", "--scores", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    message = ("1 negative given in the input cannot be a negative of its query: 1 is also its positive; the first: "
               "input row 3; manifest: stages.read")
    assert message in " ".join(result.stdout.split())
    read = json.loads((tmp_path / "out" / "manifest.json").read_text())["stages"][0]
    assert read["negatives_that_are_positives"] == 1 and read["contradiction_message"] == message
    assert read["negatives_that_are_the_query"] == 0
    assert sorted((r["sentence1"], r["score"]) for r in rows_of(tmp_path / "out")) == [
        ("a cat sits", 0.0), ("a plane takes off", 5.0)]


def test_a_labeled_pair_given_at_0_the_other_way_round_is_dropped_as_lint_reads_it(write_table, convert_to,
                                                                                      tmp_path):
    """A pair loss scores the cosine, the same either way round: (b, a) at 0 contradicts (a, b) at 1, which lint's
    conflicting-label flags; the same label either way round is no contradiction, and both rows are kept."""
    from pipeline.lint.context import LintOptions
    from pipeline.lint.runner import lint

    pairs = write_table("rev.jsonl", scored(("a cat sits", "a cat is sitting", 1.0),
                                            ("a cat is sitting", "a cat sits", 0.0),
                                            ("a dog runs", "a car", 0.0), ("a car", "a dog runs", 0.0)))
    manifest = convert_to(pairs, layout="labeled-pair")
    assert sorted((r["sentence1"], r["sentence2"], r["score"]) for r in rows_of(tmp_path / "out")) == [
        ("a car", "a dog runs", 0.0), ("a cat sits", "a cat is sitting", 1.0), ("a dog runs", "a car", 0.0)]
    result = lint(tmp_path / "out", LintOptions(loss="CoSENTLoss"))
    assert result.errors() == 0, [(f.rule, f.message) for f in result.findings]
    read = manifest["stages"][0]
    assert (read["rows_out"], read["rejected_by_reason"], read["reconciled"]) == (
        3, {"negative_is_reversed_positive": 1}, True)
    assert read["negatives_that_are_reversed_positives"] == 1
    assert read["contradiction_message"] == ("1 negative given in the input cannot be a negative of its query: 1 is a "
                                             "positive the other way round; the first: input row 2; manifest: "
                                             "stages.read")
    assert manifest["negatives"]["dropped_as_a_positive_the_other_way_round"] == 1
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert rejects.select("row", "anchor", "reason").rows() == [
        (2, "a cat is sitting", "negative_is_reversed_positive")]
    # A triplet's anchor and positive are not one pair either way round: lint reads only labeled pairs so.
    triplet = convert_to(pairs, out="triplet", layout="triplet")
    assert triplet["negatives"]["dropped_as_a_positive_the_other_way_round"] == 0


def test_a_labeled_pair_at_0_the_other_way_round_from_a_positive_left_out_is_kept(tmp_path, convert_to):
    """(c, a) at 0 was dropped "as that positive" (a, c), which --positives first left out: the pair was in neither
    output, its row rejected with a detail that was not true. Only a positive the output keeps drops it."""
    data = tmp_path / "f.csv"
    data.write_text("sentence1,sentence2,score\na,b,1\na,c,1\nc,a,0\nx,y,0\n")
    manifest = convert_to(data, layout="labeled-pair", positives="first")
    assert sorted((r["sentence1"], r["sentence2"], r["score"]) for r in rows_of(tmp_path / "out")) == [
        ("a", "b", 1.0), ("c", "a", 0.0), ("x", "y", 0.0)]
    read = manifest["stages"][0]
    assert (read["rows_out"], read["rejected_by_reason"], read["reconciled"]) == (4, {}, True)
    assert manifest["negatives"]["dropped_as_a_positive_the_other_way_round"] == 0
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert rejects.select("row", "reason").rows() == [(2, "positive_not_chosen")]
    # with every positive kept, (a, c) is in the output and (c, a) at 0 is dropped as it, as before
    kept = convert_to(data, out="all", layout="labeled-pair")
    assert kept["stages"][0]["rejected_by_reason"] == {"negative_is_reversed_positive": 1}


def test_a_labeled_pair_convert_finds_the_unusable_negatives_once(write_table, convert_to, monkeypatch):
    """Each search joins the negatives with a hash table of the positives: a labeled-pair convert ran it 4 times
    (the negatives, the rejected rows, the rows with pairs, the manifest's counts); now once, passed on."""
    import pipeline.convert
    import pipeline.row_accounting

    calls = []

    def counted_search(search):
        return lambda *args, **kwargs: calls.append(1) or search(*args, **kwargs)

    for module in (pipeline.convert, pipeline.row_accounting):
        monkeypatch.setattr(module, "unusable_negatives", counted_search(module.unusable_negatives))
    pairs = write_table("rev.jsonl", scored(("a cat sits", "a cat is sitting", 1.0),
                                            ("a cat is sitting", "a cat sits", 0.0), ("a dog runs", "a car", 0.0)))
    manifest = convert_to(pairs, layout="labeled-pair")
    assert manifest["negatives"]["dropped_as_a_positive_the_other_way_round"] == 1
    assert manifest["stages"][0]["rejected_by_reason"] == {"negative_is_reversed_positive": 1}
    assert len(calls) == 1


def test_negatives_that_are_the_query_or_its_positive_are_said_once_each(write_table, convert_to):
    rows = [{"query": "q1", "pos": ["p1"], "neg": ["n1", "q1"]},  # its own text
            {"query": "q2", "pos": ["q2", "p2"], "neg": ["q2", "n2"]},  # its own text, which is also its positive
            {"query": "q3", "pos": ["p3"], "neg": ["p3", "n3"]}]  # its positive
    manifest = convert_to(write_table("flag.jsonl", rows), negatives=1)
    read = manifest["stages"][0]
    assert (read["negatives_that_are_positives"], read["negatives_that_are_the_query"]) == (2, 1)
    assert (manifest["negatives"]["dropped_as_positive_of_the_same_query"],
            manifest["negatives"]["dropped_as_the_anchor_itself"]) == (2, 1)
    assert read["contradiction_message"] == ("3 negatives given in the input cannot be negatives of their query: 2 are "
                                             "also its positive, 1 is the query's own text; the first: input row 1; "
                                             "manifest: stages.read")


def test_negatives_beyond_k_that_are_not_written_are_noted(write_table, convert_to):
    rows = [{"query": "q1", "pos": ["p1"], "neg": ["n1", "n2", "n3", "n4", "n5"]},
            {"query": "q2", "pos": ["p2"], "neg": ["n6", "n7"]}, {"query": "q3", "pos": ["p3"], "neg": ["n8"]}]
    flag = write_table("flag.jsonl", rows)
    assert convert_to(flag, out="a", negatives=2)["layout"]["negatives_note"] == (
        "1 query has more negatives than the 2 a row holds (--negatives 2; up to 5 given): each row keeps its first 2, "
        "and 3 are not written; raise --negatives to keep more")
    assert convert_to(flag, out="b", layout="flag", negatives=1)["layout"]["negatives_note"].startswith(
        "2 queries have more negatives than the 1 a row holds (--group-size 2, or --negatives 1; up to 5 given): each "
        "row keeps its first 1, and 5 are not written; raise --group-size or --negatives to keep more, or "
        "--all-negatives")
    no_pair = [*rows, {"query": "q4", "pos": [], "neg": ["n9", "n10", "n11"]}]  # no positive: no row, nothing cut
    assert convert_to(write_table("no_pair.jsonl", no_pair), out="e", negatives=2)["layout"]["negatives_note"] \
        .startswith("1 query has more")
    assert "negatives_note" not in convert_to(flag, out="c", negatives=5)["layout"]
    assert "negatives_note" not in convert_to(flag, out="d", layout="triplet", negatives=1)["layout"]


def test_an_empty_input_warns_and_an_output_with_rows_does_not(write_table, flag_data, convert_to):
    empty = write_table("empty.jsonl", [])
    assert convert_to(empty, out="a", layout="triplet")["layout"]["warning"] == "no rows written: the input has no rows"
    assert "warning" not in convert_to(flag_data, out="b", layout="triplet")["layout"]
    # Its load line fails on an empty Parquet folder (datasets: "BatchSize must be greater than 0"): said up front.
    parquet = convert_to(empty, out="c", layout="triplet", shard_format="parquet")["layout"]["warning"]
    assert parquet.endswith("; the load line fails on it: datasets loads no empty Parquet dataset")


def test_graded_input_scores_written_as_1_and_0_are_noted(write_table, prep, tmp_path):
    pairs = write_table("pairs.jsonl", scored(("a plane takes off", "an air plane is taking off", 5.0),
                                              ("a man plays a flute", "a man plays a large flute", 3.8),
                                              ("a cat sits", "a truck drives", 0.0)))
    note = "the input has scores; --scores keeps them, without it positives are 1.0 and negatives 0.0"
    plain = prep("convert", pairs, "--to", "labeled-pair", "--out", tmp_path / "plain")
    assert plain.returncode == 0, plain.stderr
    assert f"note: {note}" in " ".join(plain.stdout.split())
    assert json.loads((tmp_path / "plain" / "manifest.json").read_text())["layout"]["scores_note"] == note
    kept = prep("convert", pairs, "--to", "labeled-pair", "--scores", "--out", tmp_path / "kept")
    assert kept.returncode == 0 and note not in " ".join(kept.stdout.split()), kept.stderr
    # kept, on STS's 0-5 scale: what reads them, and what wants them rescaled
    assert "note: the scores kept run from 0 to 5: CoSENTLoss and AnglELoss read any scale" in " ".join(
        kept.stdout.split())


def test_missing_negatives_are_counted_in_the_manifest(write_table, convert_to):
    rows = write_table("train.jsonl", [{"anchor": "a0", "positive": "p0", "negative_1": "n0", "negative_2": "n1"},
                                       {"anchor": "a1", "positive": "p1", "negative_1": None, "negative_2": "n2"}])
    read = convert_to(rows, out="a", layout="n-tuple")["stages"][0]
    assert (read["missing_negatives"], read["empty_texts"]["negative"]) == (1, 0)


def test_the_console_says_how_many_rows_sit_in_blocks_shorter_than_b(flag_data, prep, tmp_path):
    # 4 rows (the two hamlet rows may not share a block): one full block of 3, the fourth row in a shorter one.
    result = prep("convert", flag_data, "--to", "n-tuple", "--negatives", "1", "--batch-size", "3",
                  "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    blocks = json.loads(datasets.load_from_disk(str(tmp_path / "out")).info.description)["prep_blocks"]
    batches = json.loads((tmp_path / "out" / "manifest.json").read_text())["batches"]
    assert blocks == [3, 1] and batches["rows_in_shorter_blocks"] == 1
    assert "batches of 3: " in result.stdout  # as prep run prints it
    assert "1 full block of 3; 1 row in blocks of fewer than 3, trained as smaller batches" in result.stdout


def test_the_summary_says_1_row(write_table, prep, tmp_path):
    data = write_table("one.jsonl", [{"query": "q", "pos": ["p"], "neg": ["n"]}])
    result = prep("convert", data, "--to", "labeled-list", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "labeled-list (train 1 row)," in " ".join(result.stdout.split())


@pytest.mark.parametrize("first, second", [("What is Paris", "what is paris"), ("café crème", "Cafe creme")])
def test_conflict_free_batches_keep_queries_one_to_an_uncased_encoder_apart(write_table, convert_to, tmp_path,
                                                                             first, second):
    # all-MiniLM-L6-v2 lowercases and strips accents: "What is Paris" and "what is paris" are one query to it, and
    # prep lint said so of the blocks convert wrote.
    rows = [{"query": query, "pos": [f"answer {n}"], "neg": [f"other {n}"]}
            for n, query in enumerate([first, second, "rome", "berlin", "madrid", "oslo"])]
    manifest = convert_to(write_table("case.jsonl", rows), negatives=1, batch_size=2)
    written = datasets.load_from_disk(str(tmp_path / "out"))
    anchors, start = written["anchor"], 0
    for size in json.loads(written.info.description)["prep_blocks"]:
        block = anchors[start:start + size]
        folded = {unicodedata.normalize("NFD", text.lower()).encode("ascii", "ignore") for text in block}
        assert len(folded) == len(block), block
        start += size
    assert start == len(rows) and manifest["batches"]["conflicts_after_layout"] == 0


def test_beir_rejects_and_messages_name_the_qrels_file_and_line(prep, tmp_path):
    # A BEIR row is a query, numbered by its first qrels line: rejects and console lines say which file that is.
    beir = write_beir_folder(tmp_path / "beir", [{"_id": f"d{i}", "title": "", "text": f"doc {i}"} for i in range(3)],
                             [{"_id": f"q{i}", "text": f"query {i}"} for i in range(2)],
                             {"train": [("q0", "d0", 1), ("q1", "d1", 0), ("q0", "d2", 0)]})
    result = prep("convert", beir, "--to", "triplet", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    rejects = pl.read_parquet(tmp_path / "out" / "rejects.parquet")
    assert rejects.select("row", "file", "line", "reason").rows() == [(3, "train.tsv", 3, "no_positive")]


def test_a_beir_output_names_as_its_inputs_the_split_it_read(convert_to, tmp_path):
    beir = write_beir_folder(tmp_path / "beir", [{"_id": f"d{i}", "title": "", "text": f"doc {i}"} for i in range(3)],
                             [{"_id": f"q{i}", "text": f"query {i}"} for i in range(2)],
                             {"train": [("q0", "d0", 1), ("q0", "d2", 0)], "test": [("q1", "d1", 1)]})
    manifest = convert_to(beir, layout="triplet")
    assert [Path(entry["path"]).relative_to(beir).as_posix() for entry in manifest["inputs"]] == [
        "corpus.jsonl", "queries.jsonl", "qrels/train.tsv"]  # not the test qrels, which shape nothing here


@pytest.mark.parametrize("copy", ["What is Paris", "what is paris", "Whát is Paris"])
def test_conflict_free_batches_keep_a_row_apart_from_a_copy_of_its_anchor_in_another_row(write_table, convert_to,
                                                                                       tmp_path, copy):
    # Row 1's positive is row 0's query to an uncased encoder: in one batch, row 0 would have its own query as a
    # negative. ST's NO_DUPLICATES sampler, and the conflict rule before, caught only the exact text.
    rows = [{"query": "what is paris", "pos": ["answer 0"], "neg": ["other 0"]},
            {"query": "what is rome", "pos": [copy], "neg": ["other 1"]},
            *({"query": city, "pos": [f"answer {city}"], "neg": [f"other {city}"]}
              for city in ["berlin", "madrid", "oslo", "lima"])]
    manifest = convert_to(write_table("copies.jsonl", rows), negatives=1, batch_size=2)
    written = datasets.load_from_disk(str(tmp_path / "out"))
    anchors, start = written["anchor"], 0
    for size in json.loads(written.info.description)["prep_blocks"]:
        assert {"what is paris", "what is rome"} - set(anchors[start:start + size]), anchors[start:start + size]
        start += size
    assert start == len(rows)
    assert manifest["batches"]["conflicts_in_input_order"] == 1 and manifest["batches"]["conflicts_after_layout"] == 0


def test_a_rerun_refuses_an_output_with_a_file_added_and_replaces_its_own(write_table, flag_data, tmp_path, prep):
    out = tmp_path / "out"
    typed = write_table("typed.jsonl", [{"query": f"q{i}", "pos": [f"p{i}"], "neg": [f"n{i}"], "type": kind}
                                        for i, kind in enumerate("ab")])
    runs = {"flag": [typed, "--to", "flag", "--group-size", "2"],  # train/a.jsonl, train/b.jsonl
            "parquet": [flag_data, "--to", "triplet", "--shard-format", "parquet", "--shard-rows", "1"],
            "arrow": [flag_data, "--to", "triplet"]}
    for args in runs.values():  # each replaces the one before, whose files are all its own
        assert prep("convert", *args, "--out", out).returncode == 0
        written = sorted(path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file())
        assert json.loads((out / "manifest.json").read_text())["files"] == written
    assert prep("convert", *runs["flag"], "--out", out).returncode == 0
    (out / "train" / "notes.txt").write_text("mine")
    result = prep("convert", *runs["arrow"], "--out", out)
    assert result.returncode == 2 and "train/notes.txt, which prep did not write" in result.stdout + result.stderr
    assert (out / "train" / "notes.txt").read_text() == "mine"


def test_the_fix_for_rows_short_of_negatives_follows_what_they_hold_and_the_fill():
    from pipeline.config import LayoutConfig, MiningConfig, RunConfig
    from pipeline.layouts.negatives_notes import short_rows_fix

    held = pl.DataFrame({"query_id": [1, 1, 2, 3, 3, 3, 3]}, schema={"query_id": pl.UInt64})
    paired = pl.DataFrame({"query_id": [1, 2]}, schema={"query_id": pl.UInt64})  # query 3 has no positive, no row
    n_tuple = RunConfig(mining=MiningConfig(negatives=3), layout=LayoutConfig(fill="drop"))
    assert short_rows_fix(held, paired, n_tuple) == (
        "lower to --negatives 2, the most the rows hold, add copies of their own negatives with --fill repeat, or "
        "mine more with prep run")
    flag = RunConfig(mining=MiningConfig(negatives=3), layout=LayoutConfig(layout="flag", fill="repeat"))
    assert short_rows_fix(held, paired, flag) == ("lower to --group-size 3, the most the rows hold, or mine more with "
                                                  "prep run")
    assert short_rows_fix(held.head(0), paired, flag) == "the rows hold no negatives: mine them with prep run"
    deep = RunConfig(mining=MiningConfig(negatives=2), layout=LayoutConfig(layout="flag", fill="repeat"))
    assert short_rows_fix(held, paired, deep) == "mine more with prep run"  # the rows hold K: nothing to lower
