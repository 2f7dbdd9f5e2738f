"""Publish a finished output folder to an object store (s3://, gs://, hdfs://, file://) through pyarrow filesystems.

Object stores have no atomic rename: the folder is built locally (atomically, as always), then uploaded with its
manifest.json last, so that a reader who waits for manifest.json never reads half an output. A hidden marker listing
the files of the old output and the new one stays there while they are swapped, so that a location an interrupted
upload left without manifest.json is known as prep's and replaced by the next run, not refused."""

import json
import logging
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.errors import ConfigError, shown
from pipeline.stages.write import check_own_files, prep_manifest, replaceable

log = logging.getLogger(__name__)
MARKER = ".prep-publishing.json"
UPLOADING: list[str] = []  # the URI being published (as `shown`), for the CLI's word on an interrupt
CHECK_RETRY_SECONDS = 20  # GCS retries a missing credential for 15 minutes by default, deaf to Ctrl-C
DRIVERS = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs"}  # what datasets (fsspec) reads a URI's output with


def is_uri(out: str) -> bool:
    return "://" in out


def check_uri(uri: str, before_run: bool = False) -> tuple[object, str, list[str]]:
    """(filesystem, root, the files of the earlier prep output there, [] for none) where prep may publish to `uri`:
    a new or empty location, an earlier prep output, or one an interrupted upload left (checked before a run as well
    as at its end; before it, GCS gives up retrying after CHECK_RETRY_SECONDS, not its upload's 15 minutes)."""
    import pyarrow as pa
    from pyarrow import fs

    opened = uri
    if before_run and urlsplit(uri).scheme in ("gs", "gcs") and "retry_limit_seconds=" not in uri:
        opened += f"{'&' if '?' in uri else '?'}retry_limit_seconds={CHECK_RETRY_SECONDS}"
    uri = shown(uri)
    try:
        filesystem, root = fs.FileSystem.from_uri(opened)
        root = root.rstrip("/")
        path = root
        while path:  # up to the nearest folder: neither the location nor a folder above it may be a file
            kind = filesystem.get_file_info(path).type
            if kind == fs.FileType.File:
                raise ConfigError(f"--out {uri}: {path} is a file, not a folder")
            if kind == fs.FileType.Directory:
                break
            if "/" not in path and not isinstance(filesystem, fs.LocalFileSystem):  # found only after the run
                raise ConfigError(f"--out {uri}: the bucket {path} does not exist (or these credentials cannot see "
                                  "it); create it first")
            path = path.rpartition("/")[0]
        if not filesystem.get_file_info(fs.FileSelector(root, allow_not_found=True)):
            return filesystem, root, []
        files = sorted(info.path[len(root) + 1:] for info in filesystem.get_file_info(fs.FileSelector(root,
                       recursive=True)) if info.type == fs.FileType.File)
        earlier = prep_manifest(_read(filesystem, root, "manifest.json", files) or b"")
        marker = _marker(_read(filesystem, root, MARKER, files))
    except (pa.ArrowInvalid, OSError) as error:  # a URI that cannot be parsed is quoted whole
        raise ConfigError(f"--out {uri}: {str(error).replace(opened, uri)}") from None
    if earlier is None:
        if marker is not None and all(name in {MARKER, *marker["files"]} or replaceable(name) for name in files):
            return filesystem, root, files  # an interrupted upload's: every file is one it listed
        raise ConfigError(f"--out {uri} holds files and is not an earlier prep output (no prep "
                          "manifest.json); choose a new or empty location")
    check_own_files(uri, [name for name in files if name != MARKER], earlier)
    return filesystem, root, files


def _read(filesystem, root: str, name: str, files: list[str]) -> bytes | None:
    return filesystem.open_input_stream(f"{root}/{name}").readall() if name in files else None


def _marker(raw: bytes | None) -> dict | None:
    """The marker `publish` leaves while it swaps outputs: the files it may have left."""
    try:
        marker = json.loads(raw) if raw else None
    except ValueError:
        return None
    ours = isinstance(marker, dict) and marker.get("prep_publishing") is True and isinstance(marker.get("files"), list)
    return marker if ours else None


def publish(folder: Path, uri: str) -> None:
    """Upload `folder` to `uri`, replacing an earlier prep output there (only that, or an empty location)."""
    import pyarrow as pa
    from pyarrow import fs

    filesystem, root, old = check_uri(uri)
    uri = shown(uri)
    new = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    left = "what was there is unchanged"
    try:
        filesystem.create_dir(root, recursive=True)
        with filesystem.open_output_stream(f"{root}/{MARKER}") as stream:  # first: the location stays prep's
            stream.write(json.dumps({"prep_publishing": True, "files": sorted((set(old) | set(new)) - {MARKER})})
                         .encode())
        UPLOADING.append(uri)
        left = "the location has no manifest.json, and a re-run replaces what it holds"
        for name in sorted((name for name in old if name != MARKER), key=lambda name: name != "manifest.json"):
            filesystem.delete_file(f"{root}/{name}")  # the old manifest first: the old output stops counting
        for name in sorted(new, key=lambda name: name == "manifest.json"):
            target = f"{root}/{name}"
            filesystem.create_dir(target.rsplit("/", 1)[0], recursive=True)
            fs.copy_files(str(folder / name), target, destination_filesystem=filesystem)
    except (pa.ArrowInvalid, OSError) as error:
        raise ConfigError(f"--out {uri}: the upload failed ({error}); {left}") from None
    UPLOADING.remove(uri)
    try:  # complete now: credentials that may write but not delete leave the marker, which the next run replaces
        filesystem.delete_file(f"{root}/{MARKER}")
    except (pa.ArrowInvalid, OSError) as error:
        log.warning("%s is complete, but its %s could not be removed (%s)", uri, MARKER, error)
    if isinstance(filesystem, fs.LocalFileSystem):  # object stores have no folders; a local one keeps them
        _remove_empty_folders(filesystem, root)


def _remove_empty_folders(filesystem, root: str) -> None:
    from pyarrow import fs

    folders = [info.path for info in filesystem.get_file_info(fs.FileSelector(root, recursive=True))
               if info.type == fs.FileType.Directory]
    for folder in sorted(folders, key=len, reverse=True):  # the deepest first
        if not filesystem.get_file_info(fs.FileSelector(folder)):
            filesystem.delete_dir(folder)
