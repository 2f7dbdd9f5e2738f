"""cross-row-false-negative: rows that must not share a batch, because a text of one is a positive (or the query)
of the other's query, or of a near-duplicate of it (--deep): the in-batch false negatives of MNRL and friends.

The same definition as `pipeline.stages.conflicts` (without near-duplicate positives), computed with joins over
whole columns, never over pairs of rows: with mined data, where one passage is a positive of some queries and a
negative of many, the pairs run to tens of millions. A cross-query conflict is counted once per text that causes
it, so a pair that conflicts both ways (two queries sharing a positive) counts twice: an upper bound. A datasets
folder that `prep run --batch-size B` wrote carries its conflict-free blocks: then only conflicts within a block count.
With a tokenizer that lowercases, texts that differ only in case are one text, as in duplicate-query.
"""

import polars as pl

from pipeline.lint.rule import ERROR, WARNING, Finding, Rule, in_batch, in_prep_blocks
from pipeline.readers.files import ROW
from pipeline.wording import counted


class CrossRowFalseNegative(Rule):
    id = "cross-row-false-negative"
    severity = WARNING
    description = "A row's text is another row's positive for the same (or a near-duplicate) query."
    fix = ("`prep run DATA --batch-size B` orders rows into conflict-free batches (train with "
           "pipeline.sampler.BlockBatchSampler).")
    # prep's blocks are for ST's layouts: FlagEmbedding shuffles its rows and has no sampler that keeps them apart.
    flag_merge = "merge a query's rows into one (`prep convert --to flag` does)"
    flag_shared = ("train with ST on `prep run DATA --batch-size B` (n-tuple, pipeline.sampler.BlockBatchSampler), "
                   "or give FlagEmbedding --same_dataset_within_batch and a --train_data folder named "
                   "*no_in_batch_neg (each query then meets only its own group)")

    def applies(self, table, context) -> bool:
        return in_batch(table, context)

    def check(self, table, context) -> list[Finding]:
        batch, laid_out = context.options.batch_size, table.source.written.get("prep_batch_size")
        findings = []
        if laid_out and batch and batch != laid_out:
            findings.append(self.found(
                [], f"the rows are laid out in conflict-free blocks of {laid_out} (prep run --batch-size {laid_out}); "
                f"BlockBatchSampler refuses batches of {batch}", count=table.rows, severity=ERROR,
                fix=f"Train with per_device_train_batch_size={laid_out}, or lay the rows out again with "
                    f"`prep run DATA --batch-size {batch}`."))
        blocks = _blocks(table) if in_prep_blocks(table, context) else None
        return findings + self._conflicts(table, context, blocks)

    def _conflicts(self, table, context, blocks: pl.DataFrame | None) -> list[Finding]:
        # `id` is what the encoder sees as one text: with an uncased tokenizer, texts that differ only in case.
        keyed, key = table.keyed(context.folds_case, context.strips_accents)
        texts = keyed.filter(pl.col("id").is_not_null()).select(ROW, "line", "role", "id", key=key)
        related = _related_queries(table, context, texts)
        texts = texts.select(ROW, "line", "role", id="key")
        anchors = texts.filter(pl.col("role") == "anchor").select(ROW, query="id")
        sizes = anchors.group_by("query").agg(size=pl.len())
        forbidden = _forbidden(texts, anchors, related).join(sizes, on="query")
        # Each text conflicts with every row of every query that forbids it, but its own row's query.
        owned = texts.join(anchors.rename({"query": "own"}), on=ROW)
        own_size = (owned.join(forbidden, left_on=["own", "id"], right_on=["query", "forbidden"], how="left")
                    ["size"].fill_null(0))
        weight = owned.join(forbidden.group_by("forbidden").agg(weight=pl.col("size").sum()), left_on="id",
                            right_on="forbidden", how="left")["weight"].fill_null(0)
        per_text = owned.with_columns(conflicts=weight - own_size)
        cross = int(per_text["conflicts"].sum())
        groups = sizes.filter(pl.col("size") > 1)
        within = int((groups["size"] * (groups["size"] - 1) // 2).sum())
        if cross + within == 0:
            return []
        if blocks is not None:
            return self._in_blocks(table, owned, forbidden, anchors, blocks)
        owners = owned.group_by("id").agg(owners=pl.col("own").n_unique(), owner=pl.col("own").first())
        hit = forbidden.join(owners, left_on="forbidden", right_on="id").filter(
            (pl.col("owners") > 1) | (pl.col("owner") != pl.col("query")))
        # The line of each text that conflicts (in a BEIR folder its qrels line) and the rows of the queries it hits.
        rows = pl.concat([per_text.filter(pl.col("conflicts") > 0)["line"],
                          anchors.join(pl.concat([groups["query"], hit["query"]]).to_frame(), on="query",
                                       how="semi")[ROW]])
        message = _conflicts(within, cross)
        batch = context.options.batch_size
        if batch and table.rows > 1:
            size = min(batch, table.rows)
            expected = (cross + within) * size * (size - 1) / (table.rows * (table.rows - 1))
            message += f"; in random batches of {batch}: about {expected:.2f} conflicts per batch"
        return [self.found(rows, message, fix=self._flag_fix(within, cross) if table.layout == "flag" else None)]

    def _flag_fix(self, within: int, cross: int) -> str:
        """FlagEmbedding has no sampler: merging fixes a query's own rows, only fewer in-batch negatives the rest."""
        shared = f"for texts shared across queries, {self.flag_shared}"
        fixes = [self.flag_merge] * bool(within) + [shared] * bool(cross)
        return f"FlagEmbedding has no sampler that keeps these rows apart: {'; '.join(fixes)}."

    def _in_blocks(self, table, owned: pl.DataFrame, forbidden: pl.DataFrame, anchors: pl.DataFrame,
                   blocks: pl.DataFrame) -> list[Finding]:
        """The same conflicts, counted only between rows of one block: the batches BlockBatchSampler yields."""
        anchors = anchors.join(blocks, on=ROW)
        hits = (owned.join(blocks, on=ROW).join(forbidden, left_on="id", right_on="forbidden")
                .filter(pl.col("own") != pl.col("query"))
                .join(anchors.rename({ROW: "other"}), on=["query", "block"]))
        shared = anchors.group_by("query", "block").agg(size=pl.len(), rows=pl.col(ROW)).filter(pl.col("size") > 1)
        within = int((shared["size"] * (shared["size"] - 1) // 2).sum())
        if hits.height + within == 0:
            return []
        rows = pl.concat([hits["line"], hits["other"], shared["rows"].explode()])
        size = table.source.written["prep_batch_size"]
        return [self.found(rows, f"within the conflict-free blocks of {size} that prep wrote (the batches "
                           f"BlockBatchSampler yields): {_conflicts(within, hits.height)}",
                           fix="The rows changed after `prep run`, or a block was filled with leftovers: run "
                               "`prep run DATA --batch-size B --leftover reject` to set aside rows that fit no block.")]


def _blocks(table) -> pl.DataFrame | None:
    """(ROW, block) for the blocks `prep run --batch-size` wrote, in row order; None when they do not add up to the
    table's rows."""
    sizes = table.source.written.get("prep_blocks")
    if sum(sizes) != table.rows:
        return None
    ends = pl.Series(sizes, dtype=pl.Int64).cum_sum()
    return pl.DataFrame({ROW: table.frame[ROW], "block": ends.search_sorted(pl.int_range(table.rows, eager=True),
                                                                           side="right")})


def _forbidden(texts: pl.DataFrame, anchors: pl.DataFrame, related: pl.DataFrame) -> pl.DataFrame:
    """(query, forbidden): the ids that must not share a batch with a row of `query`: related queries and their
    positives."""
    positives = (texts.filter(pl.col("role") == "positive").join(anchors, on=ROW)
                 .select(related="query", forbidden="id").unique())
    return pl.concat([
        related.select("query", forbidden="related"),
        related.join(positives, on="related").select("query", "forbidden"),
    ]).unique()


def _related_queries(table, context, texts: pl.DataFrame) -> pl.DataFrame:
    """(query, related) in `key`s of `texts`: each query with itself and, with --deep, with its near-duplicate
    queries (linked by their ids)."""
    queries = texts.filter(pl.col("role") == "anchor").select("id", "key").unique()
    if not context.options.deep:
        return queries.select(query="key", related="key").unique()
    from pipeline.lint.deep import query_links
    from pipeline.stages.conflicts import related

    ids, links = query_links(table, context)
    pairs = related(ids, links).rename({"id": "query", "related_id": "related"})
    return (pairs.join(queries.rename({"key": "query_key"}), left_on="query", right_on="id")
            .join(queries.rename({"key": "related_key"}), left_on="related", right_on="id")
            .select(query="query_key", related="related_key").unique())


def _conflicts(within: int, cross: int) -> str:
    """Both counts, leaving out a count of 0."""
    pairs = counted(within, "pair of rows shares a query", "pairs of rows share a query")
    cases = counted(cross, "case", "cases")
    cases += " where a text of one row is another row's query or one of that query's positives"
    return "; ".join(part for count, part in ((within, pairs), (cross, cases)) if count)
