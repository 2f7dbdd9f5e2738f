"""A folder of Parquet shards whose file names say splits (the Hub's data/train-00000-of-00001.parquet) is read split
by split, as load_dataset("parquet", data_dir=FOLDER) reads it: never as one table. A folder of JSON files is read
whole, as FlagEmbedding reads its --train_data folder, whatever the names say."""

import re
from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import ConfigError, InputError
from pipeline.readers import read_dataset

ROWS = pl.DataFrame({"anchor": [f"q{i}" for i in range(60)], "positive": [f"p{i}" for i in range(60)],
                     "negative": [f"n{i}" for i in range(60)]})


def _hub_folder(tmp_path: Path, suffix: str) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    if suffix == "parquet":
        ROWS.head(50).write_parquet(folder / "train-00000-of-00001.parquet")
        ROWS.tail(10).write_parquet(folder / "test-00000-of-00001.parquet")
    else:
        ROWS.head(50).write_ndjson(folder / "train.jsonl")
        ROWS.tail(10).write_ndjson(folder / "test.jsonl")
    return folder


@pytest.mark.parametrize("suffix", ["parquet"])
def test_a_folder_of_split_files_is_read_one_split_at_a_time(tmp_path: Path, suffix: str) -> None:
    from pipeline.cli_report import _split_read
    from pipeline.lint.load import read_sources
    from pipeline.provenance import describe_inputs
    from pipeline.report.display import split_said

    folder = _hub_folder(tmp_path, suffix)
    train, test = read_dataset(folder), read_dataset(folder, split="test")
    assert (train.positives.height, test.positives.height) == (50, 10)
    assert sorted(test.queries["text"]) == sorted(ROWS.tail(10)["anchor"])
    with pytest.raises(InputError, match=re.escape("split 'dev' not found; the folder has ['test', 'train']")):
        read_dataset(folder, split="dev")
    # lint reads every split, each its own table, as it reads a DatasetDict folder; or the one --split names
    assert [source.frame.height for source in read_sources(folder)] in ([50, 10], [10, 50])
    assert [source.frame.height for source in read_sources(folder, "test")] == [10]
    # the report and the manifest say which files were read, and that the other split was not
    [read] = [file.name for file in (folder.iterdir()) if file.name.startswith("train")]
    said = _split_read(folder, "train")
    assert said == {"split": "train", "files": [read], "other_splits": ["test"]}
    assert split_said(said) == f" (split train: {read}; other splits, not read: test)"
    assert [Path(entry["path"]).name for entry in describe_inputs([folder])] == [read]


def test_a_file_that_no_split_claims_is_named_not_left_out(tmp_path: Path) -> None:
    folder = _hub_folder(tmp_path, "parquet")
    ROWS.head(5).write_parquet(folder / "extra.parquet")
    with pytest.raises(InputError, match=r"extra\.parquet: its name says no split, .*would leave its rows out"):
        read_dataset(folder)


def test_a_folder_whose_names_say_no_split_is_all_train(tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    folder.mkdir()
    ROWS.head(50).write_parquet(folder / "a.parquet")
    ROWS.tail(10).write_parquet(folder / "b.parquet")
    assert read_dataset(folder).positives.height == 60
    with pytest.raises(ConfigError, match=r"--split test: .* has no splits"):
        read_dataset(folder, split="test")


@pytest.mark.parametrize("names", [("msmarco.jsonl", "nq_train.jsonl"), ("hotpot_dev.jsonl", "hotpot_train.jsonl")])
def test_a_folder_of_json_files_is_read_whole_as_flagembedding_reads_it(tmp_path: Path, names: tuple) -> None:
    """Split by datasets' rules, FlagEmbedding's --train_data folder was refused (msmarco.jsonl: its name says no
    split) or halved (hotpot_dev.jsonl left out as the validation split), though FlagEmbedding trains on every file."""
    from pipeline.lint.load import read_sources

    folder = tmp_path / "train_data"
    folder.mkdir()
    for index, name in enumerate(names):
        (folder / name).write_text("".join(f'{{"query": "q{index}-{i}", "pos": ["p"], "neg": ["n"]}}\n'
                                           for i in range(5)))
    assert read_dataset(folder).queries.height == 10
    assert sum(source.frame.height for source in read_sources(folder)) == 10


def test_a_folder_whose_path_reads_as_a_glob_pattern_is_read(tmp_path: Path) -> None:
    """datasets reads the folder's path as a pattern: run[1] matched no file, an EmptyDatasetError traceback."""
    folder = tmp_path / "run[1]"
    folder.mkdir()
    ROWS.head(50).write_parquet(folder / "train-00000-of-00001.parquet")
    assert read_dataset(folder).positives.height == 50


def test_flagembeddings_own_folder_names_no_eval_split(shared_data: Path) -> None:
    """The files of FlagEmbedding's examples, flattened into one folder: datasets finds no split in their names, so
    `prep lint`, `report`, `run` say nothing of splits there."""
    from pipeline.readers.file_splits import other_split_files
    from pipeline.readers.json_folder import json_folder_files

    folder = shared_data / "flagembedding"
    assert other_split_files(folder, json_folder_files(folder)) == {}


def test_the_hubs_root_is_read_by_its_data_folders_file_names(tmp_path: Path) -> None:
    """ROOT/data/train-*.parquet + ROOT/data/test-*.parquet, as a Hub dataset is laid out, was read as one split
    'data' of train and test together (and `prep run --split data` trained on the test rows)."""
    from pipeline.cli_report import _split_read
    from pipeline.lint.load import read_sources
    from pipeline.provenance import describe_inputs

    root = tmp_path / "hub"
    root.mkdir()
    _hub_folder(root, "parquet")
    (root / "README.md").write_text("---\nlicense: cc-by-4.0\n---\n# the dataset card of every Hub clone\n")
    train, test = read_dataset(root), read_dataset(root, split="test")
    assert (train.positives.height, test.positives.height) == (50, 10)
    with pytest.raises(InputError, match=re.escape("split 'data' not found; the folder has ['test', 'train']")):
        read_dataset(root, split="data")
    assert sorted((source.name, source.frame.height) for source in read_sources(root)) == [
        (f"{root} [test]", 10), (f"{root} [train]", 50)]
    assert _split_read(root, "test") == {"split": "test", "files": ["data/test-00000-of-00001.parquet"],
                                         "other_splits": ["train"]}
    assert [entry["path"] for entry in describe_inputs([root])] == [str(root / "data/train-00000-of-00001.parquet")]


def test_folders_of_shards_whose_names_say_no_split_are_the_splits(tmp_path: Path) -> None:
    """A folder per split stays one: by its name where datasets finds none in the paths, and prep's buckets (whose
    shards are each named train-00000-of-00001.parquet) by theirs."""
    for folders, shard in ((("en", "de"), "part-0.parquet"), (("neg1", "neg2"), "train-00000-of-00001.parquet")):
        root = tmp_path / folders[0]
        for index, name in enumerate(folders):
            (root / name).mkdir(parents=True)
            ROWS.slice(index * 10, 10 + index).write_parquet(root / name / shard)
        assert read_dataset(root, split=folders[1]).positives.height == 11
