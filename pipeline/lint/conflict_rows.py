"""The rows that must not share a batch, for cross-row-false-negative: computed with joins over whole columns, over
one table or the files of a folder that a trainer reads as one dataset (`pipeline.lint.folder`)."""

import polars as pl

from pipeline.lint.folder import folder_texts
from pipeline.readers.files import ROW


def folder_conflicts(tables: tuple, context) -> tuple[pl.DataFrame, ...]:
    """Over the rows of `tables` (one table, or the files of a folder whose rows share batches), numbered as
    `folder_texts` numbers them: `owned` (each text and its row's query `own`), `forbidden` (see `_forbidden_ids`),
    `anchors` (ROW, file, query), `cases` (each text's conflicts with the rows of `rows_file`, where it has any) and
    `hit` (the queries a text of another query's row conflicts with)."""
    def texts_of(table) -> pl.DataFrame:
        # `id` is what the encoder sees as one text: with an uncased tokenizer, texts that differ only in case.
        keyed, key = table.keyed(context.folds_case, context.strips_accents)
        return keyed.filter(pl.col("id").is_not_null()).select(ROW, "line", "role", "id", key=key)

    texts = folder_texts(tables, texts_of)
    related = _related_queries(tables, context, texts)
    texts = texts.select(ROW, "line", "role", "file", id="key")
    anchors = texts.filter(pl.col("role") == "anchor").select(ROW, "file", query="id")
    forbidden = _forbidden_ids(texts, anchors, related)
    sized = forbidden.join(anchors.group_by("query", "file").agg(size=pl.len()), on="query")
    # Each text conflicts with every row of every query that forbids it, but its own row's query: counted per file
    # of those rows, so that a file's finding counts the cases with rows of other files apart.
    weights = sized.group_by("forbidden", rows_file="file").agg(weight=pl.col("size").sum())
    own = sized.select(own="query", id="forbidden", rows_file="file", own_size="size")
    owned = texts.join(anchors.select(ROW, own="query"), on=ROW)
    cases = (owned.join(weights, left_on="id", right_on="forbidden")
             .join(own, on=["own", "id", "rows_file"], how="left")
             .select("line", "file", "rows_file", conflicts=pl.col("weight") - pl.col("own_size").fill_null(0))
             .filter(pl.col("conflicts") > 0))
    owners = owned.group_by("id").agg(owners=pl.col("own").n_unique(), owner=pl.col("own").first())
    hit = forbidden.join(owners, left_on="forbidden", right_on="id").filter(
        (pl.col("owners") > 1) | (pl.col("owner") != pl.col("query")))["query"]
    return owned, forbidden, anchors, cases, hit


def _forbidden_ids(texts: pl.DataFrame, anchors: pl.DataFrame, related: pl.DataFrame) -> pl.DataFrame:
    """(query, forbidden): the ids that must not share a batch with a row of `query`: related queries and their
    positives."""
    positives = (texts.filter(pl.col("role") == "positive").join(anchors, on=ROW)
                 .select(related="query", forbidden="id").unique())
    return pl.concat([
        related.select("query", forbidden="related"),
        related.join(positives, on="related").select("query", "forbidden"),
    ]).unique()


def _related_queries(tables: tuple, context, texts: pl.DataFrame) -> pl.DataFrame:
    """(query, related) in `key`s of `texts`: each query with itself and, with --deep, with its near-duplicate
    queries (linked by their ids, within each file)."""
    queries = texts.filter(pl.col("role") == "anchor").select("id", "key").unique()
    if not context.options.deep:
        return queries.select(query="key", related="key").unique()
    from pipeline.lint.deep import query_links
    from pipeline.stages.conflicts import related

    pairs = pl.concat([related(*query_links(table, context)) for table in tables if table.rows])
    pairs = pairs.rename({"id": "query", "related_id": "related"})
    return (pairs.join(queries.rename({"key": "query_key"}), left_on="query", right_on="id")
            .join(queries.rename({"key": "related_key"}), left_on="related", right_on="id")
            .select(query="query_key", related="related_key").unique())
