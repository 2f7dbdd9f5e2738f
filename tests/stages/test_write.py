import multiprocessing
import os
from functools import partial
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.stages.write import write_atomically


def fill(folder):
    (folder / "manifest.json").write_text('{"packages": {"prep": "0.1.0"}, "stages": []}')
    (folder / "data.txt").write_text("new")


def test_replaces_an_earlier_output_and_writes_into_an_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    write_atomically(tmp_path / "empty", fill)
    assert (tmp_path / "empty" / "data.txt").read_text() == "new"
    (tmp_path / "empty" / "stale.txt").write_text("old")
    write_atomically(tmp_path / "empty", fill)
    assert not (tmp_path / "empty" / "stale.txt").exists()


def test_a_failed_second_rename_puts_the_earlier_output_back(tmp_path, monkeypatch):
    """Between the swap's two renames OUT does not exist: a failure there left no output at OUT, and the next run
    removed the retired earlier one as stale."""
    write_atomically(tmp_path / "out", fill)
    (tmp_path / "out" / "data.txt").write_text("earlier")
    renames, real = [], Path.rename

    def rename(self, target):
        renames.append(target)
        if len(renames) == 2:  # OUT retired, the new folder not yet in its place
            raise OSError("disk gone")
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(OSError, match="disk gone"):
        write_atomically(tmp_path / "out", fill)
    assert (tmp_path / "out" / "data.txt").read_text() == "earlier"
    assert [path.name for path in tmp_path.iterdir()] == ["out"]  # no partial or retired folder left


def fill_listed(folder):
    (folder / "manifest.json").write_text('{"packages": {"prep": "0.1.0"}, "stages": [], '
                                          '"files": ["data.txt", "manifest.json", "train/a.jsonl"]}')
    (folder / "data.txt").write_text("new")


def test_an_earlier_output_holding_files_prep_did_not_write_is_not_replaced(tmp_path):
    out = tmp_path / "out"
    write_atomically(out, fill_listed)
    (out / "train").mkdir()
    (out / "train" / "a.jsonl").write_text("{}")  # listed: written by the earlier run (a layout this run does not)
    (out / ".DS_Store").write_text("finder")  # hidden files and datasets' caches go with the output
    (out / "cache-5e1f.arrow").write_text("train_test_split")
    write_atomically(out, fill_listed)
    assert sorted(path.name for path in out.iterdir()) == ["data.txt", "manifest.json"]
    (out / "train").mkdir()
    (out / "train" / "notes.txt").write_text("mine")  # in a folder of the output too
    (out / "checkpoints").mkdir()  # a training run's, saved into the output
    (out / "checkpoints" / "model.bin").write_text("weights")
    with pytest.raises(ConfigError, match=r"also holds checkpoints/model\.bin, train/notes\.txt, which prep did "
                                          "not write: replacing the output would delete them"):
        write_atomically(out, fill_listed)
    assert (out / "train" / "notes.txt").read_text() == "mine" and (out / "checkpoints" / "model.bin").is_file()


@pytest.mark.parametrize("kind", ["partial", "old"])  # old: the earlier output that a run killed mid-swap retired
def test_a_partial_folder_of_a_killed_run_is_removed_and_one_of_a_live_run_kept(tmp_path, kind):
    dead = tmp_path / f".out.{kind}-4194305"  # above Linux's largest pid_max (2**22): no process has it
    live = tmp_path / f".out.{kind}-{os.getppid()}"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "data.txt").write_text("half")
    write_atomically(tmp_path / "out", fill)
    assert (tmp_path / "out" / "data.txt").read_text() == "new"
    assert not dead.exists() and (live / "data.txt").read_text() == "half"


def test_refuses_to_replace_a_folder_that_is_not_a_prep_output(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("precious")
    with pytest.raises(ConfigError, match="is not an earlier prep output"):
        write_atomically(tmp_path / "data", fill)
    assert (tmp_path / "data" / "train.jsonl").read_text() == "precious"


def test_a_folder_with_another_manifest_json_is_not_a_prep_output(tmp_path):
    (tmp_path / "extension" / "src").mkdir(parents=True)  # a browser extension has a manifest.json too
    (tmp_path / "extension" / "manifest.json").write_text('{"manifest_version": 3}')
    (tmp_path / "extension" / "src" / "background.js").write_text("precious")
    with pytest.raises(ConfigError, match="is not an earlier prep output"):
        write_atomically(tmp_path / "extension", fill)
    assert (tmp_path / "extension" / "src" / "background.js").read_text() == "precious"


def test_the_current_folder_can_be_the_output(tmp_path, monkeypatch):
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    write_atomically(Path("."), fill)
    assert (tmp_path / "here" / "data.txt").read_text() == "new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["here"]  # no partial or old copy left beside it


def test_an_output_under_a_file_is_refused_with_the_file_named(tmp_path):
    (tmp_path / "afile").write_text("keep me")
    for out in (tmp_path / "afile", tmp_path / "afile" / "run", tmp_path / "afile" / "a" / "b"):
        with pytest.raises(ConfigError, match="afile"):
            write_atomically(out, fill)
    assert (tmp_path / "afile").read_text() == "keep me"


def test_run_and_convert_check_the_output_before_reading_the_input(tmp_path, prep):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    missing = tmp_path / "no-such-input.jsonl"  # read first, it would be the error
    for command in (["run", missing], ["convert", missing, "--to", "triplet"]):
        result = prep(*command, "--out", tmp_path / "taken")
        assert result.returncode == 2 and "is not an earlier prep output" in result.stdout + result.stderr


def test_an_output_in_a_folder_not_writable_is_refused_up_front(tmp_path, monkeypatch):
    """It failed at the end of the run, after the mining, with a PermissionError traceback."""
    locked = tmp_path / "locked"
    locked.mkdir()
    writable = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked and writable(path, mode))
    for out in (locked / "out", locked / "a" / "b"):
        with pytest.raises(ConfigError, match=f"--out {out}: {locked} is not writable; choose a folder you can"):
            write_atomically(out, fill)
    assert not any(locked.iterdir())


def _publish_repeatedly(out: Path, tag: int) -> list[str]:
    errors = []
    for time in range(60):
        try:
            write_atomically(out, partial(_fill_tagged, tag=f"{tag}-{time}"))
        except OSError as error:
            errors.append(repr(error))
    return errors


def _fill_tagged(folder: Path, tag: str) -> None:
    fill(folder)
    (folder / "data.txt").write_text(tag)


def test_runs_writing_one_out_at_once_each_publish_a_whole_folder(tmp_path):
    """Two runs swapping one --out at once: one renamed the other's half-swapped folder and failed after all its
    work ("Directory not empty", "No such file"), leaving .old- folders behind."""
    out = tmp_path / "out"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        errors = pool.starmap(_publish_repeatedly, [(out, tag) for tag in range(4)])
    assert errors == [[]] * 4
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]
    assert (out / "data.txt").read_text().split("-")[1] == "59" and (out / "manifest.json").is_file()


def test_a_filesystem_that_cannot_lock_a_folder_still_writes(tmp_path, monkeypatch):
    """NFS, SMB and Lustre without -o flock refuse flock on a folder (EBADF, ENOSYS): every run writing there
    failed with a traceback, up front."""
    import errno
    import fcntl

    def refused(handle, operation):
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(fcntl, "flock", refused)
    for _ in range(2):  # a new output, then one replacing it
        write_atomically(tmp_path / "out", fill)
    assert (tmp_path / "out" / "data.txt").read_text() == "new"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]
