"""The manifest entries that `prep run` adds to the shared ones (`pipeline.manifest`): index, dedupe, instructions."""

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.config import MiningConfig, RunConfig
from pipeline.instructions import instruction_summary, mining_prompts_note, passed_over_note
from pipeline.layouts.flag_notes import unmarked_note
from pipeline.layouts.layout import Layout
from pipeline.readers.split_names import split_names_warning
from pipeline.report.profile import duplicate_counts
from pipeline.stages.dedupe import Links, cluster_sizes
from pipeline.stages.index import RECALL_PROBE_QUERIES
from pipeline.stages.mine import MiningResult
from pipeline.wording import counted


def index_summary(kind: str, documents: int, mined: MiningResult, config: MiningConfig) -> dict:
    """The manifest's index entry: which index, how many lists searched, the recall measured, and whether it
    reached the target (None where there is no target or nothing was measured)."""
    if kind == "flat":
        note, reached = "exact search", None
    elif mined.recall is None:
        note, reached = "approximate; recall not measured (no queries to mine)", None
    else:
        note = (f"approximate: measured recall of the exact top-k at the search depth on up to "
                f"{RECALL_PROBE_QUERIES} queries")
        reached = None if config.target_recall is None else mined.recall >= config.target_recall
        if reached is False:
            note += (f"; below target_recall {config.target_recall} at nprobe {mined.nprobe}, the cap: raise "
                     f"max_nprobe or use index = \"flat\"")
    return {"kind": kind, "nprobe": mined.nprobe, "documents": documents, "recall_at_search_depth": mined.recall,
            "target_reached": reached, "note": note}


def instructions_entry(canon: Canonical, layout: Layout, config: RunConfig, prompts: tuple,
                       declared: dict[str, str]) -> dict:
    """The input's per-query prompts, the `prompts` (query, document) the encoder mined with, and a prompt the model
    `declared` that it passed over."""
    summary = instruction_summary(canon, layout, config.layout.layout)
    if summary and "prompt" in summary:  # the input's own prompts are the trainer's; mining used one for all queries
        said = f"the query prompt {prompts[0]!r}" if prompts[0] else "no prompt"
        summary["prompt"]["note"] = (f"{summary['prompt'].get('note', '')}; mining encoded every query with {said}, "
                                     "not the input's per-query prompts ([encoder] query_prompt sets one)").lstrip("; ")
    # a buckets layout with every row rejected has no bucket: its columns are those of no table
    columns = layout.rows.columns if layout.splits is None else next(
        (bucket.columns for bucket in layout.splits.values()), [])
    notes = {"prompts_note": mining_prompts_note(config.layout.layout, columns, *prompts),
             "passage_prompt_note": passed_over_note(declared, prompts[1]),
             "train_data_note": unmarked_note(canon.sources[0]) if config.layout.layout == "flag" else None,
             "batches_note": repeated_anchors_note(layout, config),
             "split_names_warning": split_names_warning(canon.sources[0])}
    return ({"instructions": summary} if summary else {}) | {key: note for key, note in notes.items() if note}


def repeated_anchors_note(layout: Layout, config: RunConfig) -> str | None:
    """Rows of an in-batch layout that repeat a query (one row per positive; a triplet's per positive and negative),
    where prep did not order them into conflict-free batches: in one batch each such row's positive is a negative of
    the other, or, for two rows of one pair, the other's own positive."""
    if config.layout.batch_size or config.layout.layout not in ("n-tuple", "triplet", "buckets"):
        return None
    anchors = layout.pairs["query_id"] if layout.ids is None else layout.ids["anchor_id"]
    repeats = anchors.len() - anchors.n_unique()
    if not repeats:
        return None
    per = "positive and negative" if config.layout.layout == "triplet" else "positive"
    blocks = ("" if config.layout.layout == "buckets" else  # --batch-size lays out no buckets
              ", or run with --batch-size B for conflict-free blocks (pipeline.sampler.BlockBatchSampler)")
    return (f"{counted(repeats, 'row repeats', 'rows repeat')} an earlier row's query (one row per {per}): where two "
            "meet in a batch, an in-batch loss (MultipleNegativesRankingLoss) trains each one's positive as a "
            "negative of the other. Train with batch_sampler=BatchSamplers.NO_DUPLICATES, which keeps equal texts "
            f"out of a batch{blocks}")


def dedupe_summary(canon: Canonical, query_links: Links, doc_links: Links, threshold: float,
                   query_copies: pl.DataFrame | None, index_kind: str) -> dict:
    """`query_copies`: None where the documents were not searched (only conflict-free batches read them)."""
    clusters = query_links.clusters()
    sizes = cluster_sizes(clusters)
    return {
        "threshold": threshold,
        "index": index_kind,  # the queries' links were searched in: "flat" (exact) or IVF (stages.link_index)
        "queries_merged": duplicate_counts(canon) | {"semantic": int(len(clusters) - len(np.unique(clusters)))},
        "near_duplicate_query_pairs": len(query_links.source) // 2,
        "query_clusters": len(np.unique(clusters)),
        "largest_query_cluster": max((int(size) for size in sizes), default=0),
        "query_cluster_sizes": sizes,
        # among the documents of the output, searched for conflict-free batches only
        "near_duplicate_document_pairs": None if query_copies is None else len(doc_links.source) // 2,
        # (query, document) pairs where the document is a near-copy of the query's text (other than itself)
        "documents_near_a_query": None if query_copies is None else query_copies.filter(
            pl.col("query_id") != pl.col("doc_id")).height,
    }
