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

    def load(self, ids: pl.Series) -> pl.DataFrame:
        """The cached (id, embedding) rows among `ids`; embedding is a fixed-size float32 array."""
        if not self.folder.exists() or not any(self.folder.glob("part-*.parquet")):
            return pl.DataFrame(schema={"id": pl.UInt64, "embedding": pl.Array(pl.Float32, 1)})
        wanted = ids.to_frame("id").lazy()
        found = pl.scan_parquet(self.folder / "part-*.parquet").join(wanted, on="id", how="semi")
        return found.unique("id").collect()

    def save(self, ids: np.ndarray, embeddings: np.ndarray) -> None:
        """Add one part, written to a temporary name and renamed, so a crash never leaves half a part."""
        self.folder.mkdir(parents=True, exist_ok=True)
        frame = pl.DataFrame({"id": pl.Series(ids, dtype=pl.UInt64),
                              "embedding": pl.Series(embeddings.astype(np.float32))})
        name = f"part-{xxhash.xxh64_hexdigest(ids.tobytes())}.parquet"
        partial = self.folder / f".{name}.partial"
        frame.write_parquet(partial)
        partial.replace(self.folder / name)
