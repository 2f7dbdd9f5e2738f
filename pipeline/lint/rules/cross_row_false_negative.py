"""cross-row-false-negative: rows that must not share a batch, because a text of one is a positive (or the query)
of the other's query, or of a near-duplicate of it (--deep): the in-batch false negatives of MNRL and friends.

The same definition as `pipeline.stages.conflicts` (without near-duplicate positives), computed with joins over
whole columns, never over pairs of rows: with mined data, where one passage is a positive of some queries and a
negative of many, the pairs run to tens of millions. A cross-query conflict is counted once per text that causes
it, so a pair that conflicts both ways (two queries sharing a positive) counts twice: an upper bound. A datasets
folder that `prep run --batch-size B` wrote carries its conflict-free blocks: then only conflicts within a block count.
With a tokenizer that lowercases, texts that differ only in case are one text, as in duplicate-query. A folder of JSON
files is one dataset to its trainer: a file's rows conflict with those of the other files too (`pipeline.lint.folder`).
"""

from pathlib import Path

import polars as pl

from pipeline.lint.conflict_rows import folder_conflicts
from pipeline.lint.folder import batched_with, file_rows, once_for_folder, place_of
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
        # In a folder of JSON files a trainer reads as one dataset, a row conflicts with rows of the other files too:
        # the finding of each file counts the cases its rows take part in and names its own rows.
        tables = batched_with(table, context)
        number = place_of(table, tables)
        owned, forbidden, anchors, cases, hit = once_for_folder(context, (self.id,), table, tables,
                                                                lambda: folder_conflicts(tables, context))
        anchors = anchors.filter(pl.col("file") == number).drop("file")
        groups = anchors.group_by("query").agg(size=pl.len()).filter(pl.col("size") > 1)
        within = int((groups["size"] * (groups["size"] - 1) // 2).sum())
        mine = cases.filter((pl.col("file") == number) | (pl.col("rows_file") == number))
        cross = int(mine["conflicts"].sum())
        if cross + within == 0:
            return []
        if blocks is not None:
            return self._in_blocks(table, owned, forbidden, anchors, blocks)
        # The line of each text that conflicts (in a BEIR folder its qrels line) and the rows of the queries it hits.
        rows = file_rows(pl.concat([mine.filter(pl.col("file") == number)["line"],
                                    anchors.join(pl.concat([groups["query"], hit]).to_frame(), on="query",
                                                 how="semi")[ROW]]), number)
        message = _conflicts(within, cross)
        across = mine.filter(pl.col("file") != pl.col("rows_file"))
        if not across.is_empty():
            others = pl.concat([across["file"], across["rows_file"]]).unique().sort()
            names = [Path(tables[other].source.name).name for other in others.to_list() if other != number]
            message += (f" ({int(across['conflicts'].sum()):,} of these cases with rows of {_listed(names)}: "
                        f"{_consequence(table.layout)})")
        batch, folder_rows = context.options.batch_size, sum(other.rows for other in tables)
        if batch and folder_rows > 1:
            size = min(batch, folder_rows)
            expected = (cross + within) * size * (size - 1) / (folder_rows * (folder_rows - 1))
            message += f"; in random batches of {batch}: about {expected:.2f} conflicts per batch"
        fix = self._flag_fix(within, cross, not across.is_empty()) if table.layout == "flag" else None
        return [self.found(rows, message, fix=fix)]

    def _flag_fix(self, within: int, cross: int, across: bool) -> str:
        """FlagEmbedding has no sampler: merging fixes a query's own rows, only fewer in-batch negatives the rest."""
        shared = f"for texts shared across queries, {self.flag_shared}"
        files = "for rows of different files, --same_dataset_within_batch draws each batch from one file"
        fixes = [self.flag_merge] * bool(within) + [shared] * bool(cross) + [files] * across
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


def _consequence(layout: str) -> str:
    """When rows of different files share a batch, in the words of the trainer that reads this layout."""
    if layout == "flag":
        return "FlagEmbedding puts them in one batch unless --same_dataset_within_batch"
    return 'the folder loaded as one dataset (load_dataset("json", data_dir=FOLDER)) puts them in one batch'


def _listed(names: list[str]) -> str:
    """The first three names, and how many more: a folder may hold hundreds of files."""
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3:,} more files" if len(names) > 3 else "")


def _blocks(table) -> pl.DataFrame | None:
    """(ROW, block) for the blocks `prep run --batch-size` wrote, in row order; None when they do not add up to the
    table's rows."""
    sizes = table.source.written.get("prep_blocks")
    if sum(sizes) != table.rows:
        return None
    ends = pl.Series(sizes, dtype=pl.Int64).cum_sum()
    # ROW as `folder_texts` numbers the rows of one table
    return pl.DataFrame({ROW: table.frame[ROW].cast(pl.Int64),
                         "block": ends.search_sorted(pl.int_range(table.rows, eager=True), side="right")})


def _conflicts(within: int, cross: int) -> str:
    """Both counts, leaving out a count of 0."""
    pairs = counted(within, "pair of rows shares a query", "pairs of rows share a query")
    cases = counted(cross, "case", "cases")
    cases += " where a text of one row is another row's query or one of that query's positives"
    return "; ".join(part for count, part in ((within, pairs), (cross, cases)) if count)
