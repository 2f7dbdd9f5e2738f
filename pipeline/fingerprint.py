"""Content hashes of files and folders, for the manifest and the embedding cache key."""

from pathlib import Path

import xxhash


def hash_file(path: Path, digest: "xxhash.xxh64 | None" = None) -> str:
    digest = digest or xxhash.xxh64()
    with Path(path).open("rb") as handle:
        while block := handle.read(1 << 24):
            digest.update(block)
    return digest.hexdigest()


def files_under(path: Path) -> list[Path]:
    path = Path(path)
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def hash_folder(path: Path, files: list[Path] | None = None) -> str:
    """One hash over every file's (or the given files') relative path and content."""
    digest = xxhash.xxh64()
    for file in sorted(files) if files is not None else files_under(path):
        digest.update(str(file.relative_to(path)).encode())
        hash_file(file, digest)
    return digest.hexdigest()
