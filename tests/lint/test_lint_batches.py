"""cross-row-false-negative (not for no_in_batch_neg flag data), small-corpus-in-batch, text-too-long,
train-eval-leakage."""

import json
from pathlib import Path

import datasets
import pyarrow as pa
import pytest
from rule_findings import by_rule, one

from pipeline.errors import ConfigError, InputError
from pipeline.lint.context import LintOptions
from pipeline.lint.runner import lint

ROWS = [
    {"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel."},
    {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative": "Mars is red."},
    {"anchor": "capital of france", "positive": "Paris is the capital.", "negative": "Berlin is big."},
    {"anchor": "largest planet", "positive": "Jupiter is the largest.", "negative": "Pluto is small."},
]


def test_cross_row_false_negative(lint_records) -> None:
    assert not by_rule(lint_records(ROWS), "cross-row-false-negative")
    # Row 5 repeats the query of row 1 (a pair); row 4's negative is row 2's positive (a pair).
    rows = [*ROWS[:3], {**ROWS[3], "negative": "Frank Herbert wrote Dune."},
            {**ROWS[0], "positive": "BM25 is a ranking function."}]
    finding = one(lint_records(rows, batch_size=2), "cross-row-false-negative")
    assert (finding.count, finding.rows) == (4, (1, 2, 4, 5))
    assert "1 pair of rows shares a query; 1 case where a text of one row" in finding.message
    assert "about 0.20 conflicts per batch" in finding.message  # 2 conflicts x 2 x 1 / (5 x 4)


def test_cross_row_false_negative_leaves_out_a_count_of_zero(lint_records) -> None:
    crossed = [*ROWS[:3], {**ROWS[3], "negative": "Frank Herbert wrote Dune."}]
    finding = one(lint_records(crossed), "cross-row-false-negative")
    assert finding.message == "1 case where a text of one row is another row's query or one of that query's positives"
    repeated = [*ROWS, {**ROWS[0], "positive": "BM25 is a ranking function."}]
    assert one(lint_records(repeated), "cross-row-false-negative").message == "1 pair of rows shares a query"


def _prep_output(folder: Path, blocks: list[int]) -> Path:
    """A datasets folder as `prep run --batch-size 2` writes it: rows 1 and 3 share a query."""
    rows = [*ROWS[:2], {**ROWS[0], "positive": "BM25 is a ranking function."}, ROWS[3]]
    info = datasets.DatasetInfo(description=json.dumps({"prep_batch_size": 2, "prep_blocks": blocks}))
    datasets.Dataset(pa.Table.from_pylist(rows), info=info).save_to_disk(folder)
    return folder


def test_cross_row_counts_within_prep_blocks(tmp_path: Path, tiny_tokenizer: Path) -> None:
    def findings(folder: Path, **options: object) -> list:
        return lint(folder, LintOptions(model=str(tiny_tokenizer), **options)).findings

    apart = _prep_output(tmp_path / "apart", [2, 2])
    for batch_size in (None, 2):  # the blocks keep rows 1 and 3 apart: nothing to fix
        assert not by_rule(findings(apart, batch_size=batch_size), "cross-row-false-negative")
        assert not by_rule(findings(apart, batch_size=batch_size), "duplicate-query")
    together = one(findings(_prep_output(tmp_path / "together", [3, 1]), batch_size=2), "cross-row-false-negative")
    assert "within the conflict-free blocks of 2 that prep wrote" in together.message and together.rows == (1, 3)
    assert "1 pair of rows shares a query" in together.message and "random batches" not in together.message
    other = by_rule(findings(apart, batch_size=4), "cross-row-false-negative")
    refused = next(f for f in other if f.severity == "error")
    assert "BlockBatchSampler refuses batches of 4" in refused.message and "blocks of 2" in refused.message


def test_cross_row_not_for_scored_pairs(lint_records) -> None:
    pairs = [{"sentence1": "a cat", "sentence2": "a dog", "score": 0.4},
             {"sentence1": "a cat", "sentence2": "a pet", "score": 0.9}]
    assert not by_rule(lint_records(pairs), "cross-row-false-negative")


def test_cross_row_not_for_flag_data_without_in_batch_negatives(lint_records) -> None:
    # Row 4's negative is row 2's positive; row 5 repeats row 1's query.
    rows = [*ROWS, {**ROWS[0], "positive": "BM25 is a ranking function."}]
    rows[3] = {**ROWS[3], "negative": "Frank Herbert wrote Dune."}
    flag = [{"query": r["anchor"], "pos": [r["positive"]], "neg": [r["negative"]]} for r in rows]
    in_batch = ("cross-row-false-negative", "duplicate-query", "small-corpus-in-batch")
    findings = lint_records(flag, "retrieval/train.jsonl", batch_size=8)
    assert all(one(findings, rule) for rule in in_batch)
    # Neither fix names prep's blocks, which flag refuses: FlagEmbedding has no sampler to keep rows apart.
    conflict, repeat = one(findings, "cross-row-false-negative"), one(findings, "duplicate-query")
    assert "merge a query's rows" in conflict.fix and "*no_in_batch_neg" in conflict.fix
    assert repeat.fix.startswith("Merge the rows per query") and "--batch-size" not in repeat.fix
    merged = [{**flag[0], "pos": [flag[0]["pos"][0], flag[4]["pos"][0]]}, *flag[1:4]]
    shared = one(lint_records(merged, "retrieval/train.jsonl"), "cross-row-false-negative").fix
    assert "merge" not in shared and "for texts shared across queries" in shared
    # FlagEmbedding (with --same_dataset_within_batch) scores each query against its own group only for a
    # --train_data folder or file whose name ends with no_in_batch_neg.
    for name in ("classification-no_in_batch_neg/train.jsonl", "classification-no_in_batch_neg.jsonl"):
        findings = lint_records(flag, name, batch_size=8)
        assert not [finding for finding in findings if finding.rule in in_batch]
    assert one(lint_records(flag, "no_in_batch_neg-retrieval/train.jsonl"), "cross-row-false-negative")


def _write_folder(folder: Path, files: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True)
    for name, rows in files.items():
        (folder / name).write_text("".join(json.dumps(row) + "\n" for row in rows))
    return folder


def test_cross_row_false_negative_across_the_files_of_a_folder(tmp_path: Path, tiny_tokenizer: Path) -> None:
    """A trainer reads a folder of JSON files as one dataset: a.jsonl's negative is b.jsonl's positive, and c.jsonl's
    negative is a.jsonl's positive. Each file's finding names its own lines, and the files its rows conflict with."""
    def lint_folder(folder: Path, **options: object) -> list:
        return by_rule(lint(folder, LintOptions(model=str(tiny_tokenizer), **options)).findings,
                       "cross-row-false-negative")

    files = {"a.jsonl": [{"query": "q one", "pos": ["p one"], "neg": ["n one"]},
                         {"query": "q two", "pos": ["p two"], "neg": ["n two"]}],
             "b.jsonl": [{"query": "q three", "pos": ["p three"], "neg": ["n three"]},
                         {"query": "q four", "pos": ["n one"], "neg": ["x"]}],
             "c.jsonl": [{"query": "q five", "pos": ["p five"], "neg": ["p two"]}]}
    findings = {Path(finding.source).name: finding for finding in lint_folder(_write_folder(tmp_path / "train", files),
                                                                             batch_size=2)}
    assert {name: (finding.count, finding.rows) for name, finding in findings.items()} == {
        "a.jsonl": (2, (1, 2)), "b.jsonl": (1, (2,)), "c.jsonl": (1, (1,))}
    assert findings["a.jsonl"].message.startswith("2 cases where a text of one row is another row's query or one of "
                                                  "that query's positives (2 of these cases with rows of b.jsonl, "
                                                  "c.jsonl: FlagEmbedding puts them in one batch unless "
                                                  "--same_dataset_within_batch)")
    assert "about 0.20 conflicts per batch" in findings["a.jsonl"].message  # 2 x 2 x 1 / (5 x 4): the folder's rows
    assert "--same_dataset_within_batch draws each batch from one file" in findings["b.jsonl"].fix
    # ST layouts: datasets' load_dataset("json", data_dir=FOLDER) reads the folder as one dataset
    triplets = {name: [{"anchor": row["query"], "positive": row["pos"][0], "negative": row["neg"][0]} for row in rows]
                for name, rows in files.items()}
    st = lint_folder(_write_folder(tmp_path / "st", triplets))
    assert [(Path(finding.source).name, finding.rows) for finding in st] == [
        ("a.jsonl", (1, 2)), ("b.jsonl", (2,)), ("c.jsonl", (1,))]
    assert 'load_dataset("json", data_dir=FOLDER)' in st[0].message
    # --same_dataset_within_batch (which a *no_in_batch_neg name calls for) draws each batch from one file
    assert not lint_folder(_write_folder(tmp_path / "retrieval-no_in_batch_neg", files))
    apart = lint_folder(_write_folder(tmp_path / "mixed", {**files, "d-no_in_batch_neg.jsonl": files["c.jsonl"]}))
    assert not apart


def test_small_corpus_in_batch(lint_records) -> None:
    assert not by_rule(lint_records(ROWS, batch_size=4), "small-corpus-in-batch")
    finding = one(lint_records(ROWS, batch_size=8), "small-corpus-in-batch")
    assert "4 distinct queries and 4 distinct positives for batches of 8" in finding.message and finding.count == 4
    assert not by_rule(lint_records(ROWS), "small-corpus-in-batch"), "only with --batch-size"
    one_query = [{**row, "anchor": ROWS[0]["anchor"], "positive": ROWS[0]["positive"]} for row in ROWS[:2]]
    finding = one(lint_records(one_query, batch_size=2), "small-corpus-in-batch")
    assert finding.message.startswith("1 distinct query and 1 distinct positive for batches of 2:")
    # as the encoder sees them, and as duplicate-query counts them: the tiny tokenizer lowercases
    cased = [{**ROWS[0], "anchor": ROWS[0]["anchor"].upper()}, *ROWS[:3]]
    finding = one(lint_records(cased, batch_size=4), "small-corpus-in-batch")
    assert finding.message.startswith("3 distinct queries and 3 distinct positives for batches of 4:")


def test_text_too_long(lint_records) -> None:
    # The tiny tokenizer: n words are n + 2 tokens, max_seq_length 8.
    assert not by_rule(lint_records(ROWS), "text-too-long")
    rows = [*ROWS[:3], {**ROWS[3], "positive": "one two three four five six seven"}]
    finding = one(lint_records(rows), "text-too-long")
    assert (finding.count, finding.rows) == (1, (4,))
    assert "positive 1 (1 cell); the longest has 9 tokens" in finding.message
    # distinct texts, as prep report's over_max_seq_length counts them: a passage repeated across rows is one
    rows = [{**row, "negative": "one two three four five six seven"} for row in ROWS[:3]]
    finding = one(lint_records(rows), "text-too-long")
    assert (finding.count, finding.rows) == (3, (1, 2, 3))
    assert "distinct texts over 8 tokens" in finding.message and "negative 1 (3 cells)" in finding.message



def test_text_too_long_counts_the_prompts_texts_are_encoded_with(lint_records, tiny_tokenizer, tmp_path) -> None:
    """A query prompt ('query: ' of E5) takes tokens of every query; a prep output's own prompts are its manifest's."""
    import shutil

    prompted = tmp_path / "prompted"
    shutil.copytree(tiny_tokenizer, prompted)
    (prompted / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {"query": "a b c d "}}))
    rows = [{**row, "anchor": "what is the query"} for row in ROWS]  # 6 tokens; 10 with the prompt
    finding = one(lint_records(rows, model=str(prompted)), "text-too-long")
    assert "anchor 1 (4 cells); the longest has 10 tokens" in finding.message  # queries only: no document prompt
    assert not by_rule(lint_records(rows), "text-too-long")
    out = tmp_path / "out"  # a prep output mined with the config's prompt "" (none) for the same model
    datasets.Dataset.from_list(rows).save_to_disk(str(out))
    (out / "manifest.json").write_text(json.dumps({"encoding": {"prompts": {"query": "", "document": ""}},
                                                   "config": {"encoder": {"model": str(prompted)}}}))
    assert not by_rule(lint(out, LintOptions(model=str(prompted))).findings, "text-too-long")
    (out / "manifest.json").unlink()  # the same rows, not prep's: the model's own prompt
    assert one(lint(out, LintOptions(model=str(prompted))).findings, "text-too-long").count == 4


def test_train_eval_leakage(lint_records, write_table) -> None:
    held_out = write_table("eval.jsonl", [{"anchor": "What is BM25 ", "positive": "x"},
                                          {"anchor": "unrelated", "positive": "Paris is the capital."}])
    finding = one(lint_records(ROWS, eval_data=held_out), "train-eval-leakage")
    # Normalisation keeps case, but the tiny tokenizer lowercases: "What is BM25" is row 1's query to the encoder.
    assert (finding.count, finding.rows) == (2, (1, 3))
    assert finding.message.startswith("1 row holds an eval query (1 row differing only in case or accents: ")
    assert finding.message.endswith("tokenizer lowercases and strips accents, the encoder sees one text); "
                                    "1 row holds an eval positive (exact or after normalisation)")
    cased = write_table("eval3.jsonl", [{"anchor": "unrelated", "positive": "PARIS IS THE CAPITAL."}])
    assert one(lint_records(ROWS, eval_data=cased), "train-eval-leakage").message.startswith(
        "1 row holds an eval positive (1 row differing only in case")  # not "exact or after normalisation" too
    clean = write_table("eval2.jsonl", [{"anchor": "unrelated", "positive": "nothing"}])
    assert not by_rule(lint_records(ROWS, eval_data=clean), "train-eval-leakage")
    assert json.loads(json.dumps(finding.to_json()))["rule"] == "train-eval-leakage"


def test_eval_data_with_other_column_names_is_read_with_its_own_mapping(lint_records, write_table) -> None:
    held_out = write_table("eval_qa.jsonl", [{"question": "unrelated", "documents": ["Paris is the capital."]}])
    # DATA's names do not fit it: the error names the flag that maps the eval data's own
    with pytest.raises(InputError, match=r"eval_qa\.jsonl: no positive column.* unless --eval-columns maps its own"):
        lint_records(ROWS, eval_data=held_out)
    with pytest.raises(InputError, match=r"eval_qa\.jsonl: --eval-columns maps positive to 'doc', which is not"):
        lint_records(ROWS, eval_data=held_out, eval_columns={"anchor": "question", "positive": "doc"})
    finding = one(lint_records(ROWS, eval_data=held_out, eval_columns={"anchor": "question", "positive": "documents"}),
                  "train-eval-leakage")
    assert finding.message == "1 row holds an eval positive (exact or after normalisation)"
    with pytest.raises(ConfigError, match="--eval-columns maps the columns of the --eval data: give --eval too"):
        lint_records(ROWS, eval_columns={"anchor": "question"})
    with pytest.raises(ConfigError, match=r"^--eval-columns roles are "):
        lint_records(ROWS, eval_data=held_out, eval_columns={"anchr": "question"})


def test_layout_names_what_data_is_checked_against_not_the_layout_of_the_eval_data(lint_records, write_table) -> None:
    pairs = write_table("eval_pairs.jsonl", [{"sentence1": "unrelated", "sentence2": "Paris is the capital.",
                                              "score": 0.9}])
    finding = one(lint_records(ROWS, eval_data=pairs, layout="st"), "train-eval-leakage")
    assert finding.message == "1 row holds an eval positive (exact or after normalisation)"


def test_scored_pairs_leak_as_pairs_and_a_shared_sentence_is_a_warning(lint_records, write_table,
                                                                        tmp_path: Path) -> None:
    """STS-B's train and test splits share 443 rows' sentences (short captions recur) but 17 pairs: every shared
    sentence was an error, so the standard split failed lint in CI. A labeled pair's score is of the pair."""
    train = [{"sentence1": "A man plays a guitar.", "sentence2": "A man is playing guitar.", "score": 4.8},
             {"sentence1": "A dog runs.", "sentence2": "A cat sleeps.", "score": 0.0},  # its sentence2 a negative
             {"sentence1": "A woman cooks.", "sentence2": "Someone is cooking.", "score": 3.9}]
    held_out = write_table("eval.jsonl", [
        {"sentence1": "A man is playing guitar.", "sentence2": "A man  plays a guitar.", "score": 5.0},  # swapped
        {"sentence1": "A dog runs.", "sentence2": "A bird sings.", "score": 0.2}])
    findings = by_rule(lint_records(train, eval_data=held_out), "train-eval-leakage")
    pair, sentence = sorted(findings, key=lambda finding: finding.severity)
    assert (pair.severity, pair.count, pair.rows) == ("error", 1, (1,))
    assert pair.message == "1 row holds a pair of the eval data (either order, exact or after normalisation)"
    assert (sentence.severity, sentence.count, sentence.rows) == ("warning", 1, (2,))
    assert sentence.message == "1 row shares a sentence with an eval pair, not the pair"
    # Eval data of several tables (rows numbered per file), and of another layout (a pair per positive).
    folder = tmp_path / "eval"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps({"sentence1": "A dog runs.", "sentence2": "A bird sings.",
                                                "score": 0.2}) + "\n")
    (folder / "b.jsonl").write_text(json.dumps({"sentence1": "Someone is cooking.", "sentence2": "A woman cooks.",
                                                "score": 4.0}) + "\n")
    triplets = write_table("triplets.jsonl", [{"anchor": "A woman cooks.", "positive": "Someone is cooking.",
                                               "negative": "A dog runs."}])
    for held in (folder, triplets):
        found = by_rule(lint_records(train, eval_data=held), "train-eval-leakage")
        assert [(f.count, f.rows) for f in found if f.severity == "error"] == [(1, (3,))], held
    scored_0 = write_table("zero.jsonl", [{"sentence1": "A cat sleeps.", "sentence2": "A dog runs.", "score": 0.0}])
    found = by_rule(lint_records(train, eval_data=scored_0), "train-eval-leakage")
    assert [(f.count, f.rows) for f in found if f.severity == "error"] == [(1, (2,))]  # a pair scored 0 is a pair


def _beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    corpus = [{"_id": "d1", "title": "", "text": "BM25 ranks documents."},
              {"_id": "d2", "title": "", "text": "Frank Herbert wrote Dune."},
              {"_id": "d3", "title": "", "text": "Paris is the capital."}]
    queries = [{"_id": "q1", "text": "what is bm25"}, {"_id": "q2", "text": "who wrote dune"},
               {"_id": "q3", "text": "capital of france"}]
    for name, records in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        (folder / name).write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    for split, lines in (("train", ["q1\td1\t1", "q2\td2\t1"]), ("test", ["q3\td3\t1", "q3\td2\t1"])):
        (folder / "qrels" / f"{split}.tsv").write_text("\n".join(["query-id\tcorpus-id\tscore", *lines]) + "\n")
    return folder


def test_train_eval_leakage_of_a_beir_folder_reads_its_test_split(tmp_path: Path, tiny_tokenizer: Path) -> None:
    # SciFact's layout: train and test qrels over one corpus. Against its own test split, only q2's positive d2
    # leaks (a test positive too); the train split as eval would flag every row.
    beir = _beir(tmp_path / "beir")
    finding = one(lint(beir, LintOptions(eval_data=beir, model=str(tiny_tokenizer))).findings, "train-eval-leakage")
    assert (finding.count, finding.rows) == (1, (3,))
    assert finding.message == "1 row holds an eval positive (exact or after normalisation)"
    options = LintOptions(eval_data=beir, eval_split="train", model=str(tiny_tokenizer))
    assert one(lint(beir, options).findings, "train-eval-leakage").count == 2


def test_cross_row_texts_that_differ_only_in_case_are_one_text_to_an_uncased_tokenizer(lint_records) -> None:
    # all-MiniLM-L6-v2 lowercases: row 4's negative is row 2's positive to the encoder, and row 5's query row 1's.
    rows = [*ROWS[:3], {**ROWS[3], "negative": "frank herbert wrote DUNE."},
            {**ROWS[0], "anchor": "What is BM25", "positive": "BM25 is a ranking function."}]
    finding = one(lint_records(rows, model=None), "cross-row-false-negative")
    assert (finding.count, finding.rows) == (4, (1, 2, 4, 5))
    assert "1 pair of rows shares a query; 1 case where a text of one row" in finding.message
