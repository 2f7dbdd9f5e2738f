import pytest

from pipeline.errors import ConfigError
from pipeline.stages.write import write_atomically


def fill(folder):
    (folder / "manifest.json").write_text("{}")
    (folder / "data.txt").write_text("new")


def test_replaces_an_earlier_output_and_writes_into_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    write_atomically(tmp_path / "empty", fill)
    assert (tmp_path / "empty" / "data.txt").read_text() == "new"
    (tmp_path / "empty" / "stale.txt").write_text("old")
    write_atomically(tmp_path / "empty", fill)
    assert not (tmp_path / "empty" / "stale.txt").exists()


def test_refuses_to_replace_a_folder_that_is_not_a_prep_output(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("precious")
    with pytest.raises(ConfigError, match="is not an earlier prep output"):
        write_atomically(tmp_path / "data", fill)
    assert (tmp_path / "data" / "train.jsonl").read_text() == "precious"
