"""Embeddings on disk, keyed by (model fingerprint, prompt, text id): a re-run encodes only texts it has not seen."""

import os
from pathlib import Path

import numpy as np
import polars as pl
import xxhash

from pipeline.fingerprint import hash_folder


def default_cache_dir() -> Path:
    return Path(os.environ.get("PREP_CACHE_DIR", Path.home() / ".cache" / "prep" / "embeddings"))


def fingerprint_model(model: str) -> str:
    """Content hash of a local model folder (every file), or the name itself for a hub name."""
    path = Path(model)
    return hash_folder(path) if path.is_dir() else "name-" + xxhash.xxh64_hexdigest(model.encode())


class EmbeddingCache:
    """Parquet parts of (id, embedding) under <root>/<model fingerprint>/<prompt hash>/."""

    def __init__(self, root: Path, fingerprint: str, prompt: str | None) -> None:
        self.folder = root / fingerprint / xxhash.xxh64_hexdigest((prompt or "").encode())

    def cached_ids(self, ids: pl.Series) -> pl.Series:
        """The ids among `ids` that the cache holds (reads the id columns only)."""
        if not self._parts():
            return pl.Series("id", [], pl.UInt64)
        found = pl.scan_parquet(self._parts()).select("id").join(ids.to_frame("id").lazy(), on="id", how="semi")
        return found.unique("id").collect()["id"]

    def fill(self, rows: pl.DataFrame, vectors: np.ndarray, filled: np.ndarray) -> None:
        """vectors[row] = the cached embedding of id, for each (id, row) of `rows`; marks them in `filled`. One
        part at a time, so that no more than one part is held beside `vectors`."""
        for path in self._parts():
            found = pl.read_parquet(path, columns=["id"]).with_row_index("at").join(rows, on="id")
            if found.is_empty():
                continue
            embeddings = pl.read_parquet(path, columns=["embedding"])["embedding"]
            vectors[found["row"].to_numpy()] = embeddings.gather(found["at"]).to_numpy()
            filled[found["row"].to_numpy()] = True

    def _parts(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.parquet")) if self.folder.exists() else []

    def save(self, ids: np.ndarray, embeddings: np.ndarray) -> None:
        """Add one part, written to a temporary name and renamed, so a crash never leaves half a part."""
        self.folder.mkdir(parents=True, exist_ok=True)
        frame = pl.DataFrame({"id": pl.Series(ids, dtype=pl.UInt64),
                              "embedding": pl.Series(embeddings.astype(np.float32))})
        name = f"part-{xxhash.xxh64_hexdigest(ids.tobytes())}.parquet"
        partial = self.folder / f".{name}.partial"
        frame.write_parquet(partial)
        partial.replace(self.folder / name)
