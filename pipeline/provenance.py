"""Where a run's output came from, for `manifest.json`: the input files read, with sizes and hashes, and the
versions of the packages that made it."""

from importlib import metadata
from pathlib import Path

from pipeline.fingerprint import files_under, hash_file
from pipeline.lint.prep_output import train_data
from pipeline.readers.beir import is_beir_folder
from pipeline.readers.detect import folder_splits
from pipeline.stages.write import is_prep_manifest

# what prep writes beside the data of an output folder: an Arrow output given as DATA is read without them
PREP_FILES = ("manifest.json", "rejects.parquet", "report.json", "report.html")
PACKAGES = ("prep", "polars", "pyarrow", "datasets", "faiss-cpu", "sentence-transformers", "torch", "pandera", "ray")


def describe_inputs(paths: list[Path], split: str = "train") -> list[dict]:
    """Each input file with its size and hash; in a folder, the files under it but dotfiles (.DS_Store), which no
    reader reads; of a BEIR folder, its corpus, queries and the `split`'s qrels only; of a Parquet folder whose names
    say splits (train-00000-of-00001.parquet), the `split`'s files only; of a prep output folder, those of the data
    in it that is read (`train_data`; an Arrow dataset beside them), not its manifest, report and rejects."""
    return [{"path": str(file), "bytes": file.stat().st_size, "xxh64": hash_file(file)}
            for path in paths for file in _read_files(train_data(Path(path)), split)]


def _read_files(path: Path, split: str) -> list[Path]:
    if is_beir_folder(path):  # another split's qrels do not shape the output
        return [path / "corpus.jsonl", path / "queries.jsonl", path / "qrels" / f"{split}.tsv"]
    if split in (named := folder_splits(path)):  # another split's files are no input either
        return named[split]
    written = PREP_FILES if path.is_dir() and is_prep_manifest(path / "manifest.json") else ()
    return [file for file in files_under(path) if not any(part.startswith(".") for part in file.relative_to(path).parts)
            and not (file.parent == path and file.name in written)]


def package_versions() -> dict[str, str]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions
