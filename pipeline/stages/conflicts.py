"""Which rows must not share a batch, for losses with in-batch negatives (MNRL and friends).

Two rows conflict if their queries are in one cluster, or a text of one row (anchor, positive or a negative) is
the other row's anchor or a positive of the other row's query cluster, up to near-duplicates. Texts are reduced
to *groups* (same normalised text, or semantic near-duplicates): each row gets `keys` (the groups of all its
texts) and `forbidden` (the groups of its anchor and of every positive of its cluster); rows r and s conflict
when keys(r) meets forbidden(s) or keys(s) meets forbidden(r). Checks are set lookups, never all pairs.
"""

import numpy as np
import polars as pl


def text_groups(query_ids: pl.Series, query_clusters: np.ndarray, doc_ids: pl.Series,
                doc_clusters: np.ndarray) -> pl.DataFrame:
    """(id, group) for every query and document id: one group per set of ids linked by identity (a text that is
    both a query and a document) or by a semantic cluster."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    nodes = pl.concat([query_ids, doc_ids]).unique(maintain_order=True).rename("id").to_frame()
    nodes = nodes.with_row_index("node")
    query_nodes = query_ids.to_frame("id").join(nodes, on="id", maintain_order="left")["node"].to_numpy()
    doc_nodes = doc_ids.to_frame("id").join(nodes, on="id", maintain_order="left")["node"].to_numpy()
    # Link every member to the first member of its cluster (labels are row numbers of that first member).
    source = np.concatenate([query_nodes, doc_nodes])
    target = np.concatenate([query_nodes[query_clusters], doc_nodes[doc_clusters]])
    graph = coo_matrix((np.ones(len(source), np.int8), (source, target)), shape=(nodes.height, nodes.height))
    _, groups = connected_components(graph, directed=False)
    return nodes.select("id", group=pl.Series(groups, dtype=pl.Int64))


def row_sets(rows: pl.DataFrame, positives: pl.DataFrame, query_clusters: pl.DataFrame,
             groups: pl.DataFrame) -> tuple[list[frozenset], list[frozenset]]:
    """`keys` and `forbidden` per row. `rows` has anchor_id and text_ids (list of every text id of the row);
    `positives` (query_id, doc_id); `query_clusters` (query_id, cluster)."""
    group_of = dict(groups.iter_rows())
    cluster_positives = (positives.join(query_clusters, on="query_id")
                         .with_columns(group=pl.col("doc_id").replace_strict(groups["id"], groups["group"]))
                         .group_by("cluster").agg(pl.col("group").unique()))
    by_cluster = {cluster: frozenset(found) for cluster, found in cluster_positives.iter_rows()}
    cluster_of = dict(query_clusters.iter_rows())
    keys, forbidden = [], []
    for anchor, texts in rows.select("anchor_id", "text_ids").iter_rows():
        anchor_group = group_of[anchor]
        keys.append(frozenset(group_of[t] for t in texts) | {anchor_group})
        forbidden.append(by_cluster.get(cluster_of[anchor], frozenset()) | {anchor_group})
    return keys, forbidden


def conflicting_pairs(block: list[int], keys: list[frozenset], forbidden: list[frozenset]) -> int:
    """Unordered pairs of rows in one batch that conflict."""
    holders: dict[int, list[int]] = {}
    for row in block:
        for group in forbidden[row]:
            holders.setdefault(group, []).append(row)
    pairs = set()
    for row in block:
        for group in keys[row]:
            for other in holders.get(group, ()):
                if other != row:
                    pairs.add((min(row, other), max(row, other)))
    return len(pairs)


def count_conflicts(order: list[int], batch_size: int, keys: list[frozenset], forbidden: list[frozenset]) -> int:
    """Conflicting pairs summed over the consecutive batches of `order`."""
    return sum(conflicting_pairs(order[start:start + batch_size], keys, forbidden)
               for start in range(0, len(order), batch_size))
