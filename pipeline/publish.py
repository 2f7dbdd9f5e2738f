"""Publish a finished output folder to an object store (s3://, gs://, hdfs://, file://) through pyarrow filesystems.

Object stores have no atomic rename: the folder is built locally (atomically, as always), then uploaded with its
manifest.json last, so that a reader who waits for manifest.json never reads half an output."""

from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.stages.write import is_prep_manifest


def is_uri(out: str) -> bool:
    return "://" in out


def publish(folder: Path, uri: str) -> None:
    """Upload `folder` to `uri`, replacing an earlier prep output there (only that, or an empty location)."""
    import pyarrow as pa
    from pyarrow import fs

    try:
        filesystem, root = fs.FileSystem.from_uri(uri)
    except (pa.ArrowInvalid, OSError) as error:
        raise ConfigError(f"--out {uri}: {error}") from None
    root = root.rstrip("/")
    if filesystem.get_file_info(fs.FileSelector(root, allow_not_found=True)):
        manifest = f"{root}/manifest.json"
        found = filesystem.get_file_info(manifest).type == fs.FileType.File
        if not found or not is_prep_manifest(filesystem.open_input_stream(manifest).readall()):
            raise ConfigError(f"--out {uri} holds files and is not an earlier prep output (no prep "
                              "manifest.json); choose a new or empty location")
        filesystem.delete_file(f"{root}/manifest.json")  # first, so that the old output stops counting as complete
        filesystem.delete_dir_contents(root)
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    for file in sorted(files, key=lambda path: path.name == "manifest.json"):
        target = f"{root}/{file.relative_to(folder).as_posix()}"
        filesystem.create_dir(target.rsplit("/", 1)[0], recursive=True)
        fs.copy_files(str(file), target, destination_filesystem=filesystem)
