"""Publishing an output folder to an object store URI (here file://, the same pyarrow filesystem code path)."""

from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.publish import is_uri, publish


def output_folder(root: Path, shards: int) -> Path:
    root.mkdir()
    for number in range(shards):
        (root / f"data-{number:05d}.arrow").write_bytes(b"rows %d" % number)
    (root / "nested").mkdir()
    (root / "nested" / "part.parquet").write_bytes(b"part")
    (root / "manifest.json").write_text('{"packages": {"prep": "0.1.0"}, "stages": []}')
    return root


def test_publish_uploads_everything_and_replaces_an_earlier_output(tmp_path):
    target = tmp_path / "bucket" / "run"
    publish(output_folder(tmp_path / "first", shards=3), f"file://{target}")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == [
        "data-00000.arrow", "data-00001.arrow", "data-00002.arrow", "manifest.json", "nested/part.parquet"]
    publish(output_folder(tmp_path / "second", shards=1), f"file://{target}/")
    assert sorted(p.name for p in target.glob("*.arrow")) == ["data-00000.arrow"]  # no shard of the old output left


def test_publish_refuses_a_location_that_is_not_a_prep_output(tmp_path):
    (tmp_path / "bucket").mkdir()
    (tmp_path / "bucket" / "precious.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not an earlier prep output"):
        publish(output_folder(tmp_path / "out", shards=1), f"file://{tmp_path / 'bucket'}")
    assert (tmp_path / "bucket" / "precious.txt").read_text() == "keep me"
    assert is_uri("s3://bucket/run") and not is_uri("out/run")


def test_publish_keeps_files_the_earlier_output_does_not_list(tmp_path):
    target = tmp_path / "bucket" / "run"
    first = output_folder(tmp_path / "first", shards=1)
    (first / "manifest.json").write_text('{"packages": {"prep": "0.1.0"}, "stages": [], '
                                         '"files": ["data-00000.arrow", "manifest.json", "nested/part.parquet"]}')
    publish(first, f"file://{target}")
    (target / "nested" / "eval.json").write_text("mine")
    with pytest.raises(ConfigError, match=r"also holds nested/eval\.json, which prep did not write"):
        publish(output_folder(tmp_path / "second", shards=1), f"file://{target}")
    assert (target / "nested" / "eval.json").read_text() == "mine" and (target / "data-00000.arrow").is_file()


def test_a_uri_that_names_a_file_is_refused_before_anything_is_written(tmp_path):
    from pipeline.publish import check_uri

    (tmp_path / "afile").write_text("keep me")
    for uri in (f"file://{tmp_path / 'afile'}", f"file://{tmp_path / 'afile' / 'run'}"):
        with pytest.raises(ConfigError, match="--out file://"):
            check_uri(uri)
    assert (tmp_path / "afile").read_text() == "keep me"
    assert check_uri(f"file://{tmp_path / 'new'}")[2] == []


def test_a_location_an_interrupted_upload_left_is_replaced_by_the_next_run(tmp_path, monkeypatch):
    """An upload stopped midway left files without manifest.json: every later run refused the location as not
    prep's, and the user had to empty it by hand."""
    import pyarrow.fs

    target, real, copies = tmp_path / "bucket" / "run", pyarrow.fs.copy_files, []
    publish(output_folder(tmp_path / "first", shards=3), f"file://{target}")

    def copy_then_stop(*args, **kwargs):
        copies.append(args)
        if len(copies) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(pyarrow.fs, "copy_files", copy_then_stop)
    with pytest.raises(KeyboardInterrupt):
        publish(output_folder(tmp_path / "second", shards=2), f"file://{target}")
    assert not (target / "manifest.json").exists() and (target / ".prep-publishing.json").exists()
    monkeypatch.setattr(pyarrow.fs, "copy_files", real)
    (target / "notes.txt").write_text("mine")  # a file neither output has: the location is refused, as before
    with pytest.raises(ConfigError, match="not an earlier prep output"):
        publish(output_folder(tmp_path / "third", shards=1), f"file://{target}")
    (target / "notes.txt").unlink()
    publish(output_folder(tmp_path / "fourth", shards=1), f"file://{target}")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "data-00000.arrow", "manifest.json", "nested", "nested/part.parquet"]


def test_a_failed_upload_is_one_line_that_says_what_is_left(tmp_path, monkeypatch):
    import pyarrow.fs

    def fail(*args, **kwargs):
        raise OSError("ACCESS_DENIED during PutObject")

    monkeypatch.setattr(pyarrow.fs, "copy_files", fail)
    with pytest.raises(ConfigError, match=r"the upload failed \(ACCESS_DENIED during PutObject\); the location has no "
                                          r"manifest\.json, and a re-run replaces what it holds"):
        publish(output_folder(tmp_path / "out", shards=1), f"file://{tmp_path / 'bucket'}")


def test_a_bucket_that_does_not_exist_is_refused_before_the_run():
    """It was found only by the upload, after the whole run, as a traceback."""
    from pipeline.publish import check_uri

    with pytest.raises(ConfigError, match="--out mock:///nosuch/run: the bucket nosuch does not exist"):
        check_uri("mock:///nosuch/run")  # pyarrow's in-memory object store: a bucket, not a local folder


def test_an_interrupt_names_the_upload_or_the_output_it_finished():
    import pipeline.cli as cli
    from pipeline.publish import UPLOADING
    from pipeline.stages.write import PUBLISHED

    UPLOADING.clear()  # what an earlier test's failed upload left: main() clears both per call
    PUBLISHED.clear()
    assert cli._left() == cli.LEFT
    UPLOADING.append("s3://bucket/run")
    assert cli._left().startswith("s3://bucket/run was being uploaded: it has no manifest.json")
    PUBLISHED.append("s3://bucket/run")
    assert cli._left() == "s3://bucket/run was written in full before it"
    UPLOADING.clear()
    PUBLISHED.clear()


def test_credentials_in_a_uri_are_not_printed():
    from pipeline.publish import check_uri

    with pytest.raises(ConfigError, match=r"--out s3://\*\*\*@bkt/run\?endpoint_override=localhost:1: ") as error:
        check_uri("s3://KEY:SECRET@bkt/run?endpoint_override=localhost:1")  # refused: nothing listens there
    assert "SECRET" not in str(error.value) and "KEY" not in str(error.value)


def test_a_gcs_location_without_credentials_is_refused_before_the_run_not_retried_for_minutes(monkeypatch):
    """Without credentials GCS retried for 15 minutes (its default), deaf to Ctrl-C, before the run began."""
    import threading

    import pipeline.publish
    from pipeline.publish import check_uri

    monkeypatch.setattr(pipeline.publish, "CHECK_RETRY_SECONDS", 1)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    errors = []

    def check():
        try:
            check_uri("gs://prep-no-such-bucket/run", before_run=True)
        except ConfigError as error:
            errors.append(str(error))

    thread = threading.Thread(target=check, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the check still retries after 60 s"
    assert errors and errors[0].startswith("--out gs://prep-no-such-bucket/run: ")


def test_a_parquet_output_at_a_uri_loads_with_the_line_prep_prints(tmp_path, prep):
    """datasets reads `data_dir` as a local path (file:///x/data as ./file:/x/data): a URI's files are data_files."""
    import json

    import datasets

    from pipeline.cli_summary import load_line

    uri = f"file://{tmp_path / 'bucket' / 'run'}"
    data = Path(__file__).parents[1] / "data" / "sample" / "flag_nq.jsonl"
    result = prep("convert", data, "--to", "n-tuple", "--shard-format", "parquet", "--out", uri)
    assert result.returncode == 0, result.stderr
    layout = json.loads((tmp_path / "bucket" / "run" / "manifest.json").read_text())["layout"]
    load = layout["load"]
    assert load_line(load, uri) == f'datasets.load_dataset("parquet", data_files="{uri}/data/*.parquet")'
    assert eval(load_line(load, uri), {"datasets": datasets})["train"].num_rows == layout["splits"]["train"]["rows"]
    assert load_line(load, "s3://KEY:SECRET@bkt/run") == ('datasets.load_dataset("parquet", data_files='
                                                          '"s3://***@bkt/run/data/*.parquet") (with s3fs installed)')


def filesystem_failing_at(monkeypatch, method: str) -> None:
    """pyarrow's local filesystem where `method` fails as an object store refuses a request."""
    import types

    import pyarrow.fs

    class Failing(pyarrow.fs.LocalFileSystem):
        pass

    def fail(self, *args, **kwargs):
        raise OSError(f"ACCESS_DENIED during {method}")

    def opened(uri: str):
        pyarrow.fs.FileSystem = real  # for copy_files, which checks its filesystems against the class
        return Failing(), real.from_uri(uri)[1]

    setattr(Failing, method, fail)
    real = pyarrow.fs.FileSystem
    monkeypatch.setattr(pyarrow.fs, "FileSystem", types.SimpleNamespace(from_uri=opened))


def test_an_upload_refused_before_it_touched_the_location_says_it_is_unchanged(tmp_path, monkeypatch):
    target = tmp_path / "bucket" / "run"
    publish(output_folder(tmp_path / "first", shards=2), f"file://{target}")
    before = sorted(p.relative_to(target).as_posix() for p in target.rglob("*"))
    filesystem_failing_at(monkeypatch, "open_output_stream")  # the marker, written first
    with pytest.raises(ConfigError, match=r"the upload failed \(ACCESS_DENIED during open_output_stream\); what was "
                                          r"there is unchanged$"):
        publish(output_folder(tmp_path / "second", shards=1), f"file://{target}")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == before


def test_a_marker_that_cannot_be_deleted_is_a_warning_and_the_next_run_replaces_the_output(tmp_path, monkeypatch,
                                                                                          caplog):
    """Credentials that may write but not delete: the output is complete, only the marker stays."""
    target = tmp_path / "bucket" / "run"
    filesystem_failing_at(monkeypatch, "delete_file")
    with caplog.at_level("WARNING"):
        publish(output_folder(tmp_path / "first", shards=1), f"file://{target}")
    assert "is complete, but its .prep-publishing.json could not be removed" in caplog.text
    assert (target / "manifest.json").is_file() and (target / ".prep-publishing.json").is_file()
    monkeypatch.undo()
    publish(output_folder(tmp_path / "second", shards=2), f"file://{target}")
    assert sorted(p.name for p in target.iterdir()) == [
        "data-00000.arrow", "data-00001.arrow", "manifest.json", "nested"]


def test_a_secret_holding_a_slash_is_not_printed_and_a_file_uri_input_names_its_path():
    """An AWS secret may hold '/', which ended the URI's host part: the secret was printed whole."""
    from pipeline.errors import missing, shown

    assert shown("s3://AKIAXX:wJalr/K7MDENG@bucket/run") == "s3://***@bucket/run"
    assert shown("/tmp/a@b/run") == "/tmp/a@b/run"  # a path is no URI
    assert str(missing(Path("file:///tmp/a/x.jsonl"))) == ("file:///tmp/a/x.jsonl: give the local path "
                                                           "(/tmp/a/x.jsonl), not a file:// URI")
