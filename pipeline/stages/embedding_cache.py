"""Embeddings on disk, keyed by (model fingerprint, prompt, text id): a re-run encodes only texts it has not seen."""

import contextlib
import json
import logging
import os
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import xxhash

from pipeline.errors import ConfigError
from pipeline.fingerprint import files_under, hash_folder
from pipeline.partials import remove_stale_partials

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    # An empty PREP_CACHE_DIR (set but blank) is unset: it would put the cache in the current folder. A "~" in it is
    # the home folder, as in the config file's cache_dir (a quoted one reaches us unexpanded). A relative one is made
    # absolute here, in the driver: Ray's workers, which write the cache parts, run in another working directory.
    root = os.environ.get("PREP_CACHE_DIR") or Path.home() / ".cache" / "prep" / "embeddings"
    return Path(root).expanduser().resolve()


def check_cache_dir(cache_dir: str | Path | None, named: str) -> None:
    """A cache folder with a file in its place (a mistyped --cache-dir) is refused before any work; one that is
    only not writable costs the caching, with a warning (`EmbeddingCache.save`), never the run."""
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    blocking = next((path for path in (root, *root.parents) if path.exists() and not path.is_dir()), None)
    if blocking is not None:
        raise ConfigError(f"{named} {root}: {blocking} is a file, not a folder")


def fingerprint_model(model: str) -> str:
    """Content hash of a local model folder (the files the model loads); for a hub name, the name and the commit of
    the snapshot it loads from the Hugging Face cache (the name alone kept the vectors of an earlier revision), or
    the name alone where no snapshot is found."""
    path = Path(model)
    if path.is_dir():
        return hash_folder(path, model_files(path))
    snapshot = hub_snapshot(model)
    return "name-" + xxhash.xxh64_hexdigest((f"{model}@{snapshot.name}" if snapshot else model).encode())


def hub_snapshot(name: str) -> Path | None:
    """The snapshot folder (named by its commit) that a hub name loads: where its `main` points, in the cache that
    sentence-transformers downloads into (SENTENCE_TRANSFORMERS_HOME, else Hugging Face's)."""
    from huggingface_hub import try_to_load_from_cache

    for file in ("modules.json", "config.json"):  # a plain transformers model has no modules.json
        try:
            found = try_to_load_from_cache(name, file, cache_dir=os.environ.get("SENTENCE_TRANSFORMERS_HOME"))
        except ValueError:  # not a repo id (HFValidationError)
            return None
        if isinstance(found, str):
            return Path(found).parent
    return None


def model_files(folder: Path) -> list[Path]:
    """The folder's own files and every file of the module folders its modules.json lists, as SentenceTransformer
    loads them: an --out or --cache-dir inside the folder (allowed) is not the model, and must not change its key."""
    modules = folder / "modules.json"
    paths = [entry.get("path") for entry in json.loads(modules.read_text())] if modules.is_file() else []
    # A module without files (Normalize) has no folder in a Hub download, whose git keeps no empty folder.
    inside = [folder / path for path in paths if path and (folder / path).resolve().is_relative_to(folder.resolve())]
    return [*(file for file in folder.iterdir() if file.is_file()),
            *(file for module in inside if module.is_dir() for file in files_under(module))]


class EmbeddingCache:
    """Parquet parts of (id, embedding) under <root>/<model fingerprint>/<prompt hash>/. A part that cannot be
    read as `dimension` finite floats per id (cut short by a full disk, a flipped bit, another dimension) is never
    used: it is removed, with a warning, and its texts are encoded again."""

    def __init__(self, root: Path, fingerprint: str, prompt: str | None, dimension: int) -> None:
        self.folder = root / fingerprint / xxhash.xxh64_hexdigest((prompt or "").encode())
        self.dimension = dimension
        self.unusable: set[Path] = set()  # found so, even where it could not be removed
        self.unwritable = False  # a save failed: the others are not tried
        self.swept = False

    def cached_ids(self, ids: pl.Series) -> pl.Series:
        """The ids among `ids` that the cache holds (reads the id columns only)."""
        parts = [part for path in self._parts() if (part := self._read(path, ["id"])) is not None]
        if not parts:
            return pl.Series("id", [], pl.UInt64)
        return pl.concat(parts).join(ids.to_frame("id"), on="id", how="semi").unique("id")["id"]

    def fill(self, rows: pl.DataFrame, vectors: np.ndarray, filled: np.ndarray) -> None:
        """vectors[row] = the cached embedding of id, for each (id, row) of `rows`; marks them in `filled`. One
        part at a time, so that no more than one part is held beside `vectors`. Rows of an unusable part stay
        unmarked."""
        for path in self._parts():
            ids = self._read(path, ["id"])
            if ids is None or ids.join(rows, on="id", how="semi").is_empty():
                continue
            part = self._read(path, ["id", "embedding"])
            if part is None:
                continue
            found = part.with_row_index("at").join(rows, on="id")
            vectors[found["row"].to_numpy()] = part["embedding"].gather(found["at"]).to_numpy()
            filled[found["row"].to_numpy()] = True

    def _parts(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(path for path in self.folder.glob("part-*.parquet") if path not in self.unusable)

    def _read(self, path: Path, columns: list[str]) -> pl.DataFrame | None:
        """The columns of one part; None where it is gone (a concurrent run removed it) or unusable."""
        try:  # pages written with a CRC (every part since 2026-12-06) are checked: a flipped bit is an error
            part = pl.from_arrow(pq.read_table(path, columns=columns, page_checksum_verification=True))
            problem = self._problem(part)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, pl.exceptions.PolarsError) as error:
            problem = str(error).splitlines()[0]
        if problem is None:
            return part
        self._discard(path, problem)
        return None

    def _problem(self, part: pl.DataFrame) -> str | None:
        expected = {"id": pl.UInt64, "embedding": pl.Array(pl.Float32, self.dimension)}
        for name, kind in part.schema.items():
            if kind != expected[name]:
                return f"{name} is {kind}, expected {expected[name]}"
            if part[name].null_count():
                return f"{name} has nulls"
        if "embedding" in part.columns and not np.isfinite(part["embedding"].to_numpy()).all():
            return "embeddings that are not finite"
        return None

    def _discard(self, path: Path, problem: str) -> None:
        self.unusable.add(path)
        try:
            path.unlink(missing_ok=True)
            done = "removed it"
        except OSError as error:
            done = f"could not remove it ({error.strerror}): delete it"
        log.warning("embedding cache part %s is unusable (%s); %s, its texts are encoded again", path, problem, done)

    def save(self, ids: np.ndarray, embeddings: np.ndarray) -> None:
        """Add one part, written to a temporary name and renamed, so a crash never leaves half a part. The name is
        this process's own: two runs that share the cache may save the same part at once."""
        if self.unwritable:
            return
        frame = pl.DataFrame({"id": pl.Series(ids, dtype=pl.UInt64),
                              "embedding": pl.Series(embeddings.astype(np.float32))})
        name = f"part-{xxhash.xxh64_hexdigest(ids.tobytes())}.parquet"
        partial = self.folder / f".{name}.partial-{os.getpid()}"
        if not self.swept:  # parts that runs killed mid-save left, about one chunk each
            remove_stale_partials(self.folder, ".part-*.partial-*")
            self.swept = True
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Page checksums: embeddings hardly compress, so zstd stores them raw and a flipped bit read back as a
            # wrong vector without an error.
            pq.write_table(frame.to_arrow(), partial, compression="zstd", write_page_checksum=True)
            partial.replace(self.folder / name)
        except OSError as error:  # read-only, full, or a file in the way: the run needs the embeddings, not the cache
            with contextlib.suppress(OSError):  # a read-only folder refuses the removal too
                partial.unlink(missing_ok=True)
            self.unwritable = True
            log.warning("embedding cache %s cannot be written (%s); the run goes on without caching, so a re-run "
                        "encodes again", self.folder, error.strerror or error)
            return
        self.unusable.discard(self.folder / name)  # a part found unusable earlier, now written anew
