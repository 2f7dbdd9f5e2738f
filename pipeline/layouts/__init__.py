"""Every layout the trainers accept, built from one Selection. `lay_out` picks the layout the config names."""

from dataclasses import replace

import polars as pl

from pipeline.config import LayoutConfig
from pipeline.errors import ConfigError
from pipeline.layouts.buckets import lay_out_buckets
from pipeline.layouts.flag import lay_out_flag
from pipeline.layouts.labeled_list import lay_out_labeled_list
from pipeline.layouts.labeled_pair import lay_out_labeled_pair
from pipeline.layouts.layout import Layout
from pipeline.layouts.n_tuple import lay_out_n_tuple
from pipeline.layouts.selection import Selection, fill_negatives
from pipeline.layouts.triplet import lay_out_triplet

FIXED_WIDTH = ("n-tuple", "flag")  # the layouts that need exactly K negatives per row, where `fill` applies


def check_scores(selection: Selection, config: LayoutConfig) -> None:
    if config.scores and (missing := selection.missing_scores()):
        raise ConfigError(f"--scores: {missing:,} of the (query, text) pairs have no score in the input; "
                          "use prep run (the encoder's scores) or --teacher MODEL")


def lay_out(selection: Selection, config: LayoutConfig, seed: int) -> Layout:
    """One layout of `selection`; check_scores first (lay_out_in_partitions does, once for all partitions)."""
    if config.layout in FIXED_WIDTH:
        selection = fill_negatives(selection, config.fill, seed, config.all_negatives)
        added = selection.negatives.filter(pl.col("source").is_in(["repeated", "padding"]))["source"]
        return replace(_lay_out(selection, config), filled=dict(added.value_counts().iter_rows()))
    return _lay_out(selection, config)


def _lay_out(selection: Selection, config: LayoutConfig) -> Layout:
    if config.layout == "n-tuple":
        return lay_out_n_tuple(selection, config.scores)
    if config.layout == "flag":
        return lay_out_flag(selection, config.scores, config.all_negatives)
    if config.layout == "buckets":
        return lay_out_buckets(selection)
    if config.layout == "triplet":
        return lay_out_triplet(selection)
    if config.layout == "labeled-pair":
        return lay_out_labeled_pair(selection, config.scores, config.binary)
    return lay_out_labeled_list(selection, config.scores)
