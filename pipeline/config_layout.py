"""The [layout] table: how the shards are laid out (`pipeline.config` holds the other tables)."""

from dataclasses import dataclass

from pipeline.config_checks import check_choice, check_not_empty, check_positive, check_types
from pipeline.errors import ConfigError

LAYOUTS = ("n-tuple", "buckets", "triplet", "labeled-pair", "labeled-list", "flag")
FILLS = ("mine", "drop", "repeat", "pad")


@dataclass(frozen=True)
class LayoutConfig:
    """How the shards are laid out."""

    layout: str = "n-tuple"
    fill: str = "mine"  # a query short of K negatives (n-tuple, flag): "mine", "drop", "repeat" or "pad"
    allow_padding: bool = False  # `fill = "pad"` trains on empty strings: it must be asked for twice
    positives: str = "all"  # rows per query: "all" its positives, the "first", or "sample:N" (seeded)
    scores: bool = False  # add scores: n-tuple `label`, labeled-pair/-list scores, flag pos_scores/neg_scores
    binary: bool = False  # labeled-pair: an integer `label` 1/0 instead of a float `score`
    teacher: str | None = None  # a CrossEncoder that gives the scores (default: the encoder's cosine)
    group_size: int | None = None  # flag: FlagEmbedding's train_group_size, so K = group_size - 1
    all_negatives: bool = False  # flag: every negative of a query (at least K), not just K
    shard_format: str = "arrow"  # "arrow" (datasets.load_from_disk) or "parquet" (load_dataset("parquet"))
    shard_rows: int | None = None  # at most this many rows per shard
    batch_size: int | None = None  # order rows so that every block of this many is conflict-free
    leftover: str = "short-blocks"  # rows beyond the full blocks: "short-blocks", "reject" or "final-block"

    @property
    def every_given(self) -> bool:
        """Whether rows keep every given negative that passes the filters, not K: flag's all_negatives, and the
        buckets, whose rows keep all their negatives (mining fills only up to K)."""
        return self.all_negatives or self.layout == "buckets"

    def __post_init__(self) -> None:
        turned_off = self.batch_size is False or (type(self.batch_size) is int and self.batch_size == 0)
        if turned_off:  # false, or 0
            object.__setattr__(self, "batch_size", None)
        check_types(self)
        check_not_empty(self, "teacher")
        check_choice(self, "layout", LAYOUTS)
        check_choice(self, "fill", FILLS)
        check_choice(self, "shard_format", ("arrow", "parquet"))
        check_choice(self, "leftover", ("short-blocks", "reject", "final-block"))
        for name in ("batch_size", "shard_rows", "group_size"):
            if getattr(self, name) is not None:
                check_positive(self, name)
        if self.positives not in ("all", "first") and not _is_sample(self.positives):
            raise ConfigError(f"positives must be 'all', 'first' or 'sample:N' with N at least 1; got "
                              f"{self.positives!r}")
        if self.allow_padding and self.fill != "pad":
            raise ConfigError(f"allow_padding confirms fill 'pad' (empty-string negatives); fill is '{self.fill}', "
                              "which it would not change: add --fill pad, or drop --allow-padding")
        if self.fill == "pad" and not self.allow_padding:
            raise ConfigError("fill 'pad' writes empty strings that the trainer uses as real negatives; "
                              "add --allow-padding to mean it, "
                              "or use --fill drop or repeat (or mine, which only prep run does)")
        if self.fill == "pad" and self.scores:
            raise ConfigError("padding negatives have no score: use fill 'repeat' or 'drop' with scores")
        if self.binary and self.layout != "labeled-pair":
            raise ConfigError(f"binary labels are for the labeled-pair layout, not {self.layout}")
        if self.binary and self.scores:
            raise ConfigError("binary and scores exclude each other: a label is 1/0, a score is a float")
        if self.teacher and not self.scores:
            raise ConfigError("a teacher gives scores: add --scores")
        if self.scores and self.layout in ("buckets", "triplet"):
            raise ConfigError(f"the {self.layout} layout has no score column; scores go with n-tuple, "
                              "labeled-pair, labeled-list or flag")
        if self.group_size is not None and self.layout != "flag":
            raise ConfigError(f"group_size is FlagEmbedding's train_group_size, for the flag layout, not {self.layout}")
        if self.all_negatives and self.layout != "flag":
            raise ConfigError(f"all_negatives is for the flag layout (FlagEmbedding samples train_group_size - 1 of "
                              f"a row's negatives each epoch), not {self.layout}: n-tuple rows hold exactly K, and "
                              "buckets keep every negative")
        if self.group_size == 1:
            raise ConfigError("group_size must be at least 2: one positive and group_size - 1 negatives")
        if self.batch_size == 1:
            raise ConfigError("batch_size must be at least 2: a batch of 1 row has no in-batch negatives")
        if self.batch_size is not None and self.layout not in ("n-tuple", "triplet"):
            raise ConfigError(f"conflict-free batches (batch_size) are for the n-tuple and triplet layouts, not "
                              f"{self.layout}")
        if self.batch_size is not None and self.shard_format != "arrow":
            raise ConfigError("conflict-free blocks are stored in the Arrow dataset's description, which the batch "
                              "sampler reads: use shard_format 'arrow' with batch_size")
        if self.leftover != "short-blocks" and turned_off:  # "give batch_size too" would read as a given one unseen
            raise ConfigError("leftover applies to conflict-free batches, which batch_size 0 (or false) turns off: "
                              "give a batch_size of 2 or more")
        if self.leftover != "short-blocks" and self.batch_size is None:
            raise ConfigError("leftover applies to conflict-free batches: give batch_size too")
        if self.layout == "flag" and (self.shard_format != "arrow" or self.shard_rows is not None):
            raise ConfigError("the flag layout is one FlagEmbedding JSONL file; shard_format and shard_rows do not "
                              "apply")
        if self.fill in ("repeat", "pad") and self.layout not in ("n-tuple", "flag"):
            raise ConfigError(f"fill '{self.fill}' completes rows to exactly K negatives (n-tuple, flag); the "
                              f"{self.layout} layout keeps whatever negatives a query has")


def _is_sample(value: str) -> bool:
    prefix, _, count = value.partition(":")
    return prefix == "sample" and count.isdigit() and int(count) > 0
