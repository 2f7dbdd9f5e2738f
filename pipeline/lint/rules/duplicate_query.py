"""duplicate-query: rows whose query already appeared in an earlier row (exactly, or after normalisation)."""

import polars as pl

from pipeline.lint.rule import WARNING, Finding, Rule, how_equal, in_batch, in_prep_blocks
from pipeline.readers.files import ROW
from pipeline.wording import counted


class DuplicateQuery(Rule):
    id = "duplicate-query"
    severity = WARNING
    description = "The same query in several rows: in one batch, each row's positive is the other's false negative."
    fix = ("Merge the rows per query (`prep run` and `prep convert` merge repeats after normalisation), or train "
           "with `prep run --batch-size B` conflict-free blocks and pipeline.sampler.BlockBatchSampler.")
    # Where every repeat is an exact copy, as a prep n-tuple output repeats a query once per positive.
    exact_fix = ("Train with `batch_sampler=BatchSamplers.NO_DUPLICATES` (ST keeps exact copies of a text out of one "
                 "batch), or with `prep run --batch-size B` conflict-free blocks and "
                 "pipeline.sampler.BlockBatchSampler.")
    # FlagEmbedding has no sampler that keeps rows apart, and prep's blocks are for ST's layouts.
    flag_fix = ("Merge the rows per query: `prep convert --to flag` and `prep run --layout flag` write one row per "
                "query (after normalisation) holding all its positives, of which FlagEmbedding samples one per step.")

    def applies(self, table, context) -> bool:
        # In prep's conflict-free blocks a repeated query meets itself only within a block: cross-row-false-negative
        # counts those.
        return in_batch(table, context) and not in_prep_blocks(table, context)

    def check(self, table, context) -> list[Finding]:
        texts, key = table.keyed(context.folds_case, context.strips_accents)
        anchors = texts.filter((pl.col("role") == "anchor") & pl.col("id").is_not_null())
        repeats = anchors.filter(~pl.col(key).is_first_distinct())
        if repeats.is_empty():
            return []
        exact = int((~anchors["raw"].is_first_distinct()).sum())
        case_only = repeats.height - int((~anchors["id"].is_first_distinct()).sum())
        equal = how_equal(exact, repeats.height, case_only, context.token_counter.name if case_only else "",
                          context.strips_accents)
        repeat = counted(repeats.height, "row repeats", "rows repeat")
        distinct = counted(anchors[key].n_unique(), "distinct query", "distinct queries")
        fix = self.exact_fix if exact == repeats.height else None
        if table.layout == "flag":
            fix = self.flag_fix
        elif case_only:
            fix = ("Merge these rows per query: `prep run` merges repeats after normalisation, which keeps case and "
                   "accents; or train with `prep run --batch-size B` conflict-free blocks.")
        return [self.found(repeats[ROW], f"{repeat} an earlier row's query{equal} ({distinct} in {anchors.height:,} "
                           "rows)", fix=fix)]
