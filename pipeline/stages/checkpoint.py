"""The mined negatives of a finished mining stage, kept under the cache and keyed by everything they depend on, so
that a run interrupted later (layout, write) or repeated with other layout settings resumes after mining."""

import io
import json
import logging
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import polars as pl
import xxhash

from pipeline.canonical import Canonical
from pipeline.config import RunConfig
from pipeline.normalize import content_ids
from pipeline.partials import remove_stale_partials
from pipeline.stages import candidate_search, dedupe, index, link_index, mine, mine_chunk, positive_rank, select
from pipeline.stages.embedding_cache import default_cache_dir
from pipeline.stages.mine import MiningResult

log = logging.getLogger(__name__)
FILES = ("negatives.parquet", "ranked_low.parquet", "positive_scores.npy")  # beside stats.json, written last

# The code that decides what is mined: a checkpoint written by other code (another prep version) is not reused.
MINING_CODE = [Path(__file__), *(Path(module.__file__) for module in (dedupe, link_index, index, mine, mine_chunk,
                                                                     select, candidate_search, positive_rank))]


def checkpoint_folder(canon: Canonical, config: RunConfig, model_fingerprint: str, prompts: tuple[str | None, ...],
                      deepen: bool) -> Path:
    """<cache>/mined/<hash of the canonical ids, model, prompts, mining and dedupe settings, mining code>. The
    engine is not part of the key: both engines give the same answer."""
    digest = xxhash.xxh64()
    for path in MINING_CODE:
        digest.update(path.read_bytes())
    # the texts as given too: two inputs may give one id (normalised text) in two forms, encoded apart
    written = [content_ids(table.rename({table.columns[0]: "id"})) for table in (canon.queries, canon.corpus)]
    for column in (*written, canon.queries["query_id"], canon.corpus["doc_id"], canon.positives["query_id"],
                   canon.positives["doc_id"], canon.negatives["query_id"], canon.negatives["doc_id"]):
        digest.update(column.to_numpy().tobytes())
        digest.update(b"|")
    mining = {key: value for key, value in asdict(config.mining).items() if key != "query_chunk"}  # no effect
    settings = {"model": model_fingerprint, "prompts": list(prompts),
                "mining": mining, "dedupe": config.dedupe.threshold, "deepen": deepen,
                # what all_negatives and buckets change: nothing where the input gives no negatives
                "every_given": config.layout.every_given and canon.negatives.height > 0}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    root = Path(config.encoder.cache_dir) if config.encoder.cache_dir else default_cache_dir()
    return root / "mined" / digest.hexdigest()


def load_mined(folder: Path) -> MiningResult | None:
    """The checkpoint in `folder`; None where there is none, or where it cannot be read (a file cut short by a
    full disk, or removed by a run that found it so) or differs from its digest (a flipped bit, or a checkpoint
    of a prep without digests): then the queries are mined again and it is saved anew."""
    if not (folder / "stats.json").exists():
        return None
    try:
        stats = json.loads((folder / "stats.json").read_text(encoding="utf-8"))
        if "digests" not in stats:
            raise ValueError("written by a prep that kept no file digests")
        files = {name: (folder / name).read_bytes() for name in FILES}  # read once: checked, then parsed
        wrong = next((name for name in FILES if xxhash.xxh64_hexdigest(files[name]) != stats["digests"][name]), None)
        if wrong is not None:
            raise ValueError(f"{wrong} does not match its digest in stats.json")
        if stats.get("stats_digest") != _stats_digest(stats):  # its counts go to the manifest and the console
            raise ValueError("stats.json does not match its own digest")
        return MiningResult(negatives=pl.read_parquet(io.BytesIO(files["negatives.parquet"])),
                            ranked_low=pl.read_parquet(io.BytesIO(files["ranked_low.parquet"])),
                            skipped=stats["skipped"], candidates=stats["candidates"],
                            positive_scores=np.load(io.BytesIO(files["positive_scores.npy"])),
                            range_max=stats["range_max"], deepened=stats["deepened"],
                            rank_searches=stats["rank_searches"], nprobe=stats["nprobe"], recall=stats["recall"])
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as error:
        log.warning("mining checkpoint %s is unusable (%s); mining again", folder, str(error).splitlines()[0])
        return None


def save_mined(folder: Path, mined: MiningResult) -> None:
    """Written to a sibling folder and renamed: a checkpoint is complete or absent (stats.json is written last).
    A cache that cannot be written (read-only, full) costs the checkpoint, with a warning, never the mining done."""
    try:
        _save(folder, mined)
    except OSError as error:
        shutil.rmtree(folder.with_name(f".{folder.name}.partial-{os.getpid()}"), ignore_errors=True)
        log.warning("mining checkpoint %s cannot be written (%s); the run goes on without it", folder,
                    error.strerror or error)


def _save(folder: Path, mined: MiningResult) -> None:
    remove_stale_partials(folder.parent, ".*.partial-*")  # checkpoints that killed runs were saving
    partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    mined.negatives.write_parquet(partial / "negatives.parquet")
    mined.ranked_low.write_parquet(partial / "ranked_low.parquet")
    np.save(partial / "positive_scores.npy", mined.positive_scores)
    # A flipped bit in the chosen ids would be read back as other negatives without an error.
    digests = {name: xxhash.xxh64_hexdigest((partial / name).read_bytes()) for name in FILES}
    stats = {"digests": digests, "skipped": mined.skipped, "candidates": mined.candidates, "range_max": mined.range_max,
             "deepened": mined.deepened, "rank_searches": mined.rank_searches, "nprobe": mined.nprobe,
             "recall": mined.recall}
    stats["stats_digest"] = _stats_digest(stats)
    (partial / "stats.json").write_text(json.dumps(stats), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)  # one that load_mined could not read
    try:
        partial.rename(folder)
    except OSError:
        if not folder.is_dir():
            raise
        shutil.rmtree(partial, ignore_errors=True)  # a run with the same key saved the same checkpoint meanwhile


def _stats_digest(stats: dict) -> str:
    """The digest of stats.json's own values but this one."""
    values = {key: value for key, value in stats.items() if key != "stats_digest"}
    return xxhash.xxh64_hexdigest(json.dumps(values, sort_keys=True).encode())
