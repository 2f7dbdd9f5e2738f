"""Which rows must not share a batch, for losses with in-batch negatives (MNRL and friends).

Two rows conflict if their queries are near-duplicates (or the same), or a text of one row (anchor, positive or
a negative) is the other row's anchor or a near-copy of it, or a positive of the other row's query or of its
near-duplicate queries, or a near-duplicate of such a positive. Each row gets `keys` (the ids of its texts) and
`forbidden` (the ids its batch-mates must not hold); rows r and s conflict when keys(r) meets forbidden(s) or
keys(s) meets forbidden(r). Checks are set lookups over direct links, never all pairs.
"""

import numpy as np
import polars as pl

from pipeline.canonical import Canonical
from pipeline.config import MiningConfig
from pipeline.stages.dedupe import Links, link_rows

COPY_SCHEMA = {"query_id": pl.UInt64, "doc_id": pl.UInt64}  # a document that is a near-copy of a query's text


def related(ids: pl.Series, links: Links) -> pl.DataFrame:
    """(id, related_id): every id with itself and with each id it is linked to."""
    pairs = pl.DataFrame({"id": ids.gather(links.source), "related_id": ids.gather(links.target)})
    return pl.concat([ids.to_frame("id").with_columns(related_id="id"), pairs])


def conflict_documents(canon: Canonical, negatives: pl.DataFrame) -> np.ndarray:
    """Corpus rows of every positive of the input and every chosen negative (`negatives`: doc_id): the documents
    whose near-duplicate links the conflict rule reads."""
    used = pl.concat([canon.positives.select("doc_id"), negatives.select("doc_id")]).unique()
    rows = canon.corpus.select("doc_id", row=pl.int_range(pl.len(), dtype=pl.Int64))
    return rows.join(used, on="doc_id", how="semi")["row"].to_numpy()


def batch_links(canon: Canonical, negatives: pl.DataFrame, queries: np.ndarray, docs: np.ndarray, threshold: float,
                config: MiningConfig) -> tuple[Links, pl.DataFrame]:
    """What conflict-free batches read beyond the query links: the links among the documents of the output
    (`conflict_documents`), and each query's near-copies among them (COPY_SCHEMA). A near-copy of a query's own
    text, in another row's batch, is an in-batch negative that is the query itself; ST's NO_DUPLICATES sampler
    catches it only where the texts are equal."""
    links, query_rows, doc_rows = link_rows(docs, conflict_documents(canon, negatives), threshold, config, queries)
    copies = pl.DataFrame({"query_id": canon.queries["query_id"].gather(query_rows),
                           "doc_id": canon.corpus["doc_id"].gather(doc_rows)}, schema=COPY_SCHEMA)
    return links, copies


def forbidden_ids(queries: pl.Series, query_links: Links, docs: pl.Series, doc_links: Links,
                  positives: pl.DataFrame, query_copies: pl.DataFrame | None = None) -> dict[int, frozenset]:
    """Per query id: the ids that must not share its batch (related queries, their positives and the
    positives' near-duplicates, and the documents that are near-copies of the related queries' own texts:
    `query_copies` (query_id, doc_id))."""
    query_related = related(queries, query_links)
    their_positives = (query_related.join(positives.rename({"query_id": "related_id"}), on="related_id")
                       .select("id", doc_id="doc_id"))
    near_copies = their_positives.join(related(docs, doc_links).rename({"id": "doc_id"}), on="doc_id")
    copies = query_copies if query_copies is not None else pl.DataFrame(schema=COPY_SCHEMA)
    of_queries = query_related.join(copies.rename({"query_id": "related_id"}), on="related_id")
    every = pl.concat([query_related, near_copies.select("id", "related_id"),
                       of_queries.select("id", related_id="doc_id")])
    grouped = every.group_by("id").agg(pl.col("related_id").unique())
    return {query: frozenset(ids) for query, ids in grouped.iter_rows()}


def row_sets(rows: pl.DataFrame, forbidden_by_query: dict[int, frozenset]) -> tuple[list[frozenset], list[frozenset]]:
    """`keys` and `forbidden` per row of `rows` (anchor_id, text_ids: every text id of the row but the anchor)."""
    keys, forbidden = [], []
    for anchor, texts in rows.select("anchor_id", "text_ids").iter_rows():
        keys.append(frozenset(texts) | {anchor})
        forbidden.append(forbidden_by_query.get(anchor, frozenset({anchor})))
    return keys, forbidden


def conflicting_pairs(block: list[int], keys: list[frozenset], forbidden: list[frozenset]) -> int:
    """Unordered pairs of rows in one batch that conflict. Each row's forbidden ids are met with the keys held in
    the batch, the smaller set iterated: a query with many positives forbids them all, but a batch holds few keys."""
    holders: dict[int, list[int]] = {}
    for row in block:
        for key in keys[row]:
            holders.setdefault(key, []).append(row)
    held = set(holders)
    pairs = set()
    for row in block:
        for key in forbidden[row] & held:
            for other in holders[key]:
                if other != row:
                    pairs.add((min(row, other), max(row, other)))
    return len(pairs)


def count_conflicts(order: list[int], batch_size: int, keys: list[frozenset], forbidden: list[frozenset]) -> int:
    """Conflicting pairs summed over the consecutive batches of `order`."""
    return sum(conflicting_pairs(order[start:start + batch_size], keys, forbidden)
               for start in range(0, len(order), batch_size))
