"""The warning for a run or conversion that wrote no row: where the rows went, from the manifest's stage counts."""


def with_no_rows_warning(summary: dict, stages: list[dict], short_rows_fix: str) -> dict:
    """The layout summary, with a warning where no row was written that says where the rows went: an empty output
    would otherwise pass for a finished run (exit 0, "train 0 rows"). `short_rows_fix` says what to do where rows
    lacked K negatives."""
    if any(split["rows"] for split in summary["splits"].values()):
        return summary
    summary = _warned(summary, stages)
    if {"fewer_than_k_negatives", "fewer_than_group_size_negatives"} & stages_reasons(stages):
        summary["warning"] += f"; for rows short of negatives: {short_rows_fix}"
    if 'load_dataset("parquet"' in summary.get("load", ""):  # the console prints that line next (buckets: a dict)
        summary["warning"] += "; the load line fails on it: datasets loads no empty Parquet dataset"
    return summary


def _warned(summary: dict, stages: list[dict]) -> dict:
    read, layout = stages[0], next(stage for stage in stages if stage["stage"] == "layout")
    if not read["rows_in"]:
        return summary | {"warning": "no rows written: the input has no rows"}
    lost = []
    if layout["rows_in"]:
        lost.append(f"all {layout['rows_in']:,} (query, positive) pairs were set aside "
                    f"({_reasons(layout['rejected_by_reason'])})")
    if read["rows_rejected"]:
        lost.append(f"{read['rows_rejected']:,} of {read['rows_in']:,} input rows held no usable (query, positive) "
                    f"pair ({_reasons(read['rejected_by_reason'])})")
    # Replaces a fill 'pad' warning: its padding is in no written row.
    return summary | {"warning": f"no rows written: {'; '.join(lost or ['every row was set aside'])}; see "
                                 "rejects.parquet"}


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {count:,}" for reason, count in counts.items())


def stages_reasons(stages: list[dict]) -> set[str]:
    return {reason for stage in stages for reason in stage.get("rejected_by_reason", {})}
