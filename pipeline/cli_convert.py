"""`prep convert`: lay out data that already has its negatives, without an encoder."""

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli_app import (
    AllNegativesOpt,
    AllowPaddingOpt,
    BatchSizeOpt,
    BinaryOpt,
    ColumnsOpt,
    ConvertFillOpt,
    DataArg,
    FormatOpt,
    GroupSizeOpt,
    LeftoverOpt,
    PositivesOpt,
    ScoresOpt,
    ShardFormatOpt,
    ShardRowsOpt,
    SplitOpt,
    TeacherOpt,
    console,
    parse_columns,
    path_option,
)
from pipeline.cli_output import write_out
from pipeline.cli_summary import print_batches, print_layout, print_stages
from pipeline.errors import ConfigError


def convert(
    data: DataArg,
    to: Annotated[str, typer.Option(help="The layout to write: n-tuple, buckets, triplet, labeled-pair, "
                                         "labeled-list or flag.")],
    out: Annotated[str, typer.Option(help="Output folder, or an object-store URI (s3://, gs://, hdfs://, file://).")],
    fmt: FormatOpt = None,
    split: SplitOpt = "train",
    columns: ColumnsOpt = None,
    negatives: Annotated[int | None, typer.Option(help="K for n-tuple and flag (default 3, at most 1024); the "
                                                       "other layouts keep every negative.")] = None,
    config: Annotated[Path | None, path_option("--config", "TOML file with a \\[layout] table (and "
                                                           "mining.negatives, mining.seed); flags override it.",
                                               "a TOML file")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for --fill repeat and --positives sample:N "
                                                  "(default 12).")] = None,
    fill: ConvertFillOpt = None,
    allow_padding: AllowPaddingOpt = None,
    scores: ScoresOpt = None,
    binary: BinaryOpt = None,
    teacher: TeacherOpt = None,
    group_size: GroupSizeOpt = None,
    all_negatives: AllNegativesOpt = None,
    shard_format: ShardFormatOpt = None,
    shard_rows: ShardRowsOpt = None,
    positives: PositivesOpt = None,
    batch_size: BatchSizeOpt = None,
    leftover: LeftoverOpt = None,
) -> None:
    """Lay out data that already has its negatives for another trainer, without an encoder."""
    from pipeline.config_file import load_run_config, path_sources
    from pipeline.convert import check_convert_config
    from pipeline.convert import convert as convert_data
    from pipeline.run import RunInputs

    loaded = check_convert_config(config)
    flags = {
        "--negatives": negatives, "--seed": seed,
        "--to": to, "--fill": fill, "--allow-padding": allow_padding, "--scores": scores, "--binary": binary,
        "--teacher": teacher, "--group-size": group_size, "--all-negatives": all_negatives,
        "--shard-format": shard_format, "--shard-rows": shard_rows, "--positives": positives,
        "--batch-size": batch_size, "--leftover": leftover,
    }
    settings = load_run_config(config, flags, defaults={"layout": {"fill": "drop"}})  # convert does not mine
    if settings.layout.fill == "mine":  # the default is drop: a flag or the file asked for mine
        named = "--fill mine" if fill is not None else f"{config}: [layout] fill 'mine'"
        raise ConfigError(f"{named}: prep convert does not mine: use --fill drop, repeat or pad, or prep run to mine")
    from_file = negatives is None and "negatives" in loaded.get("mining", {})
    if (negatives is not None or from_file) and settings.layout.layout not in ("n-tuple", "flag"):
        named = f"{config}: [mining] negatives" if from_file else "--negatives"
        raise ConfigError(f"{named} is K for n-tuple and flag; {settings.layout.layout} keeps every negative "
                          "the input gives (prep convert does not mine)")
    inputs = RunInputs(data, fmt, split, parse_columns(columns))
    sources = path_sources(config, flags)
    manifest = write_out(out, lambda folder: convert_data(inputs, settings, folder, sources),
                         {"DATA": data, "--config": config, "--teacher": settings.layout.teacher}, sources)
    print_stages(manifest["stages"], console)
    print_batches(manifest, console)
    print_layout(manifest["layout"], out, console)
