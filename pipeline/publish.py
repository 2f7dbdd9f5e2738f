"""Publish a finished output folder to an object store (s3://, gs://, hdfs://, file://) through pyarrow filesystems.

Object stores have no atomic rename: the folder is built locally (atomically, as always), then uploaded with its
manifest.json last, so that a reader who waits for manifest.json never reads half an output."""

from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.stages.write import check_own_files, prep_manifest


def is_uri(out: str) -> bool:
    return "://" in out


def check_uri(uri: str) -> tuple[object, str, bool]:
    """(filesystem, root, whether it holds an earlier prep output) where prep may publish to `uri`: a new or
    empty location, or an earlier prep output (checked before a run as well as at its end)."""
    import pyarrow as pa
    from pyarrow import fs

    try:
        filesystem, root = fs.FileSystem.from_uri(uri)
        root = root.rstrip("/")
        path = root
        while path:  # up to the nearest folder: neither the location nor a folder above it may be a file
            kind = filesystem.get_file_info(path).type
            if kind == fs.FileType.File:
                raise ConfigError(f"--out {uri}: {path} is a file, not a folder")
            if kind == fs.FileType.Directory:
                break
            path = path.rpartition("/")[0]
        if not filesystem.get_file_info(fs.FileSelector(root, allow_not_found=True)):
            return filesystem, root, False
        manifest = f"{root}/manifest.json"
        found = filesystem.get_file_info(manifest).type == fs.FileType.File
        earlier = prep_manifest(filesystem.open_input_stream(manifest).readall()) if found else None
        files = [info.path[len(root) + 1:] for info in filesystem.get_file_info(fs.FileSelector(root, recursive=True))
                 if info.type == fs.FileType.File] if earlier else []
    except (pa.ArrowInvalid, OSError) as error:
        raise ConfigError(f"--out {uri}: {error}") from None
    if earlier is None:
        raise ConfigError(f"--out {uri} holds files and is not an earlier prep output (no prep "
                          "manifest.json); choose a new or empty location")
    check_own_files(uri, sorted(files), earlier)
    return filesystem, root, True


def publish(folder: Path, uri: str) -> None:
    """Upload `folder` to `uri`, replacing an earlier prep output there (only that, or an empty location)."""
    from pyarrow import fs

    filesystem, root, earlier = check_uri(uri)
    if earlier:
        filesystem.delete_file(f"{root}/manifest.json")  # first, so that the old output stops counting as complete
        filesystem.delete_dir_contents(root)
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    for file in sorted(files, key=lambda path: path.name == "manifest.json"):
        target = f"{root}/{file.relative_to(folder).as_posix()}"
        filesystem.create_dir(target.rsplit("/", 1)[0], recursive=True)
        fs.copy_files(str(file), target, destination_filesystem=filesystem)
