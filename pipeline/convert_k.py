"""The K that `prep convert` takes: bounded as prep run's, where rows or fills of K are built."""

from pipeline.config import RunConfig
from pipeline.config_checks import MAX_NEGATIVES
from pipeline.errors import ConfigError


def check_k(config: RunConfig, named: str) -> None:
    """K at most MAX_NEGATIVES, as prep run mines: rows of K + 2 columns are built for every query, even those that
    the fill drops (K = 3,000 took 5 s on two rows, 100,000 did not end), and --fill repeat or pad adds up to K
    negatives to each short query. Not with --to flag --all-negatives --fill drop, whose rows hold the negatives
    the input gives and K only the least a row keeps. Checked before the input is read; the value named as given."""
    k, layout = config.mining.negatives, config.layout
    if k <= MAX_NEGATIVES or (layout.all_negatives and layout.fill == "drop"):
        return
    if named.endswith(("--group-size", "group_size")):  # group_size = K + 1
        bound = f"at most {MAX_NEGATIVES + 1} ({MAX_NEGATIVES} negatives per row), got {k + 1}"
    else:
        bound = f"at most {MAX_NEGATIVES} negatives per row, got {k}"
    if layout.all_negatives:
        keeps = (f"--fill {layout.fill} adds up to {k:,} negatives to each short query; with --fill drop, K is only "
                 "the least a row keeps")
    else:
        keeps = (f"an input with more negatives per query than {MAX_NEGATIVES} keeps every one with --to flag "
                 "--all-negatives or --to buckets")
    raise ConfigError(f"{named}: {bound}; {keeps}")
