"""What `prep convert` says about the input's negatives that a fixed-width layout (n-tuple, flag) cannot fill or
leaves out, in the flags the user sets K with."""

import polars as pl

from pipeline.config import RunConfig
from pipeline.layouts import FIXED_WIDTH
from pipeline.wording import counted


def _k_flag(config: RunConfig) -> str:
    """How the user sets K: --group-size (K + 1, FlagEmbedding's train_group_size) for flag, else --negatives."""
    return "--group-size" if config.layout.layout == "flag" else "--negatives"


def _k_option(config: RunConfig, k: int) -> str:
    return f"{_k_flag(config)} {k + 1 if config.layout.layout == 'flag' else k}"


def short_rows_fix(negatives: pl.DataFrame, positives: pl.DataFrame, config: RunConfig) -> str:
    """What to do where rows lacked K negatives, from what the queries that have rows hold and the fill in use."""
    most = negatives.join(positives, on="query_id", how="semi").group_by("query_id").len()["len"].max() or 0
    if not most:
        return "the rows hold no negatives: mine them with prep run"
    fixes = [f"lower to {_k_option(config, most)}, the most the rows hold"] if most < config.mining.negatives else []
    fixes += ["add copies of their own negatives with --fill repeat"] if config.layout.fill != "repeat" else []
    return ", ".join([*fixes, "or mine more with prep run"]) if fixes else "mine more with prep run"


def cut_negatives_note(negatives: pl.DataFrame, positives: pl.DataFrame, config: RunConfig) -> str | None:
    """A fixed-width layout writes K negatives a row: where the input gives queries that have rows more, say how
    many are left out, as the fill policies say what they add."""
    k, layout = config.mining.negatives, config.layout
    if layout.layout not in FIXED_WIDTH or layout.all_negatives:
        return None
    counts = negatives.join(positives, on="query_id", how="semi").group_by("query_id").len()["len"]
    over = counts.filter(counts > k)
    if over.is_empty():
        return None
    every = ", or --all-negatives to write every one (FlagEmbedding samples from them)" if layout.layout == "flag" \
        else ""
    flag = layout.layout == "flag"  # K is set by either flag there: name both
    option = f"--group-size {k + 1}, or --negatives {k}" if flag else f"--negatives {k}"
    return (f"{counted(len(over), 'query has', 'queries have')} more negatives than the {k} a row holds ({option}; "
            f"up to {over.max():,} given): each row keeps its first {k}, and {int((over - k).sum()):,} are not "
            f"written; raise {'--group-size or --negatives' if flag else '--negatives'} to keep more{every}")
