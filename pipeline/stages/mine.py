"""Mine hard negatives: plan the queries, mine them chunk by chunk (mine_chunk.py), merge the chunks' results."""

from collections import Counter
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.config import MiningConfig
from pipeline.stages.dedupe import Links
from pipeline.stages.index import SearchIndex, tune_nprobe
from pipeline.stages.mine_chunk import PAIR_SCHEMA, RANKED_SCHEMA, ChunkResult, MiningInputs, mine_chunk
from pipeline.stages.select import default_range_max
from pipeline.stages.task_map import TaskMap, run_here

RANKED_LOW_SCHEMA = {"query_id": pl.UInt64, "doc_id": pl.UInt64}


@dataclass
class MiningResult:
    # query_id, doc_id, score, rank, source: the chosen K (or fewer) per query; a LazyFrame from `mine_negatives`
    # with `spill`, until collected (`save_mined` takes a DataFrame)
    negatives: pl.DataFrame | pl.LazyFrame
    ranked_low: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RANKED_LOW_SCHEMA))  # see config
    skipped: dict = field(default_factory=dict)  # {"mined"|"given": {reason: count}}
    candidates: dict = field(default_factory=dict)  # {"mined"|"given": count considered}
    positive_scores: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    range_max: int = 0
    deepened: int = 0  # query searches repeated deeper because the first candidates held fewer than K negatives
    rank_searches: int = 0  # queries searched again, deeper, to count a positive's rank (max_positive_rank)
    nprobe: int | None = None  # IVF lists searched per query (tuned to the target recall), None for exact search
    recall: float | None = None  # IVF: measured share of the exact top-k at the search depth


def mine_negatives(canon: Canonical, queries: np.ndarray, docs: np.ndarray, index: SearchIndex,
                   config: MiningConfig, query_links: Links | None = None, deepen: bool = True,
                   map_tasks: TaskMap = run_here, spill: Path | None = None, every_given: bool = False,
                   seen_as: np.ndarray | None = None) -> MiningResult:
    """`queries` and `docs` are the embeddings of canon.queries and canon.corpus, row-aligned. With
    `query_links` (near-duplicate query rows), a query's known positives include those of its near-duplicates.

    An IVF index first has its nprobe tuned to `config.target_recall` (tune_nprobe) on the queries to mine.
    Queries left with fewer than K negatives (with `sampling = "random"`: with fewer than the whole rank window of
    surviving candidates to draw from) are searched again, DEEPEN times deeper each time, until the search
    covers the corpus or MAX_DEPTH candidates: with many positives, or a positive the encoder ranks low, the
    margin filter can empty the first candidates, while deeper ranks still hold valid negatives. Statistics count
    each query's last pass only. With `deepen` False the first search is the only one (the fill policies other
    than "mine" complete the short queries instead). With `every_given` every given negative that passes the filters
    is kept, beyond K (the flag layout's all_negatives and buckets). `seen_as` (`case_links.seen_as`: per document, the
    first that the encoder sees as the same text), a candidate that is the same text to it as an earlier candidate of
    its query is skipped (copy_of_a_candidate): a row would hold that negative twice.

    With `spill` (a folder the tasks can write: this machine's), each chunk's chosen negatives go to a file there as
    the chunk ends, and `negatives` is a LazyFrame over the files, to be collected once the index is dropped: the
    chosen pairs of 1M queries (52 MiB) then never share memory with it.
    """
    plan = _query_plan(canon, query_links)
    max_positives = int(plan["positive_rows"].list.len().max() or 0)
    config = replace(config, range_max=default_range_max(config, max_positives))
    max_known = int(plan["known_rows"].list.len().max() or 0)
    depth = min(config.range_max + max_known, len(docs))
    index, recall = tune_nprobe(index, docs, queries, depth, config, plan["query_row"].to_numpy())
    inputs = MiningInputs(queries, docs, index, canon.queries["query_id"].to_numpy(),
                          canon.corpus["doc_id"].to_numpy(), depth, seen_as)
    chunks = [plan.slice(start, config.query_chunk) for start in range(0, plan.height, config.query_chunk)]
    task = partial(mine_chunk, config=config, deepen=deepen, every_given=every_given)
    if spill is not None:
        spill.mkdir(parents=True, exist_ok=True)
        task, chunks = partial(_spilled, task, spill), list(enumerate(chunks))
    results = map_tasks(task, chunks, inputs)
    return replace(_merge(canon, results, config.range_max), nprobe=index.nprobe, recall=recall)


def _spilled(task: partial, folder: Path, item: tuple[int, pl.DataFrame], inputs: MiningInputs) -> ChunkResult:
    """`task`'s result for chunk `item` (number, queries), its chosen negatives written to a file in `folder`."""
    number, pending = item
    result = task(pending, inputs)
    path = folder / f"{number}.arrow"
    result.chosen.write_ipc(path)
    return replace(result, chosen=path)


def _merge(canon: Canonical, chunks: list[ChunkResult], range_max: int) -> MiningResult:
    skipped = {"mined": Counter(), "given": Counter()}
    considered = Counter()
    for chunk in chunks:
        for source, counts in chunk.skipped.items():
            for reason, count in counts.items():  # not Counter "+", which drops the zero counts
                skipped[source][reason] += count
        for source, count in chunk.considered.items():
            considered[source] += count
    spilled = [chunk.chosen for chunk in chunks if isinstance(chunk.chosen, Path)]
    chosen = pl.scan_ipc(spilled, glob=False) if spilled else pl.concat([chunk.chosen.lazy() for chunk in chunks]
                                                             or [pl.LazyFrame(schema=RANKED_SCHEMA)])
    negatives = chosen.select(pl.exclude("given"),
                              source=pl.when("given").then(pl.lit("input")).otherwise(pl.lit("mined")))
    return MiningResult(
        # Ranked chunk by chunk (chunks hold consecutive queries): one sort of all the chosen pairs at once, at 1M
        # queries, held three copies of them (+290 MiB).
        negatives=negatives if spilled else negatives.collect(),
        ranked_low=_pair_ids(canon, [chunk.ranked_low for chunk in chunks]),
        skipped={source: dict(counts) for source, counts in skipped.items()},
        candidates=dict(considered),
        positive_scores=(np.concatenate([chunk.positive_scores for chunk in chunks]) if chunks
                         else np.zeros(0, np.float32)),
        range_max=range_max,
        deepened=sum(chunk.deepened for chunk in chunks),
        rank_searches=sum(chunk.rank_searches for chunk in chunks),
    )


def _pair_ids(canon: Canonical, frames: list[pl.DataFrame]) -> pl.DataFrame:
    """(query_row, doc_row) frames as one (query_id, doc_id) frame, sorted."""
    rows = pl.concat(frames) if frames else pl.DataFrame(schema=PAIR_SCHEMA)
    return pl.DataFrame({"query_id": canon.queries["query_id"].gather(rows["query_row"]),
                         "doc_id": canon.corpus["doc_id"].gather(rows["doc_row"])}).sort("query_id", "doc_id")


def _query_plan(canon: Canonical, query_links: Links | None) -> pl.DataFrame:
    """Per query with at least one positive: its row in `queries`, the rows of its positives, of the positives
    of it and its near-duplicate queries (`known_rows`, all excluded) and of its given negatives. Rows are found by
    binary search in the tables' id order (`canonical._texts_of` sorts them), not by joins: at 1M queries the joins'
    hash tables held 124 MiB at once for a plan of 33."""
    query_ids, doc_ids = canon.queries["query_id"], canon.corpus["doc_id"]

    def rows(links: pl.DataFrame) -> pl.DataFrame:
        found = links.select(query_row=query_ids.search_sorted(links["query_id"]).cast(pl.Int64),
                             doc_row=doc_ids.search_sorted(links["doc_id"]).cast(pl.Int64))
        if not (found["query_row"].lt(len(query_ids)).all() and found["doc_row"].lt(len(doc_ids)).all()
                and query_ids.gather(found["query_row"]).equals(links["query_id"], check_names=False)
                and doc_ids.gather(found["doc_row"]).equals(links["doc_id"], check_names=False)):
            raise ValueError("the query plan needs canon.queries and canon.corpus sorted by id, holding every link's")
        return found

    positives = rows(canon.positives)
    links = query_links or Links(np.zeros(0, np.int64), np.zeros(0, np.int64), canon.queries.height)
    linked = pl.DataFrame({"query_row": links.source, "query_of": links.target}).join(
        positives.rename({"query_row": "query_of"}), on="query_of").select("query_row", "doc_row")
    # positive_rows in input order (the joins gave them in an order of their own; every use takes them as a set,
    # though a batched product may round a score's last bit otherwise in another position)
    plan = (pl.concat([positives.with_columns(own=True), linked.with_columns(own=False)]).group_by("query_row")
            .agg(positive_rows=pl.col("doc_row").filter("own"), known_rows=pl.col("doc_row").unique().sort())
            .filter(pl.col("positive_rows").list.len() > 0).sort("query_row"))
    # canon.negatives is in input order (row, then position in the row): keep it.
    given = rows(canon.negatives).group_by("query_row").agg(given_rows="doc_row")
    return (plan.join(given, on="query_row", how="left", maintain_order="left")
            .select(query_id=query_ids.gather(plan["query_row"]), query_row="query_row", positive_rows="positive_rows",
                    known_rows="known_rows", given_rows=pl.col("given_rows").fill_null([])))
