"""`prep convert`: data that already has its negatives, laid out for another trainer; no encoder, no mining."""

import time
from pathlib import Path

import polars as pl

from pipeline.canonical import Canonical
from pipeline.config import RunConfig
from pipeline.config_file import path_sources
from pipeline.config_toml import read_config_file
from pipeline.convert_k import check_k
from pipeline.errors import ConfigError
from pipeline.input_rows import located_error
from pipeline.instructions import instruction_summary
from pipeline.layouts.empty_output import with_no_rows_warning
from pipeline.layouts.flag_notes import typed_short_note, unmarked_note
from pipeline.layouts.input_scores import convert_scores_note
from pipeline.layouts.negatives_notes import cut_negatives_note, short_rows_fix
from pipeline.layouts.selection import Selection
from pipeline.manifest import (
    layout_summary,
)
from pipeline.output import choose_positives, lay_out_output, split_off_anchors, write_output
from pipeline.provenance import describe_inputs, package_versions
from pipeline.readers.split_names import split_names_warning
from pipeline.report.tokens import load_token_counter
from pipeline.row_accounting import rejected_rows, stage_counts
from pipeline.run import RunInputs
from pipeline.run_summary import repeated_anchors_note
from pipeline.stages.case_links import case_copies, case_links
from pipeline.stages.write import check_out
from pipeline.unusable_negatives import Unusable, unusable_negatives


def given_negatives(canon: Canonical, unusable: Unusable | None = None) -> pl.DataFrame:
    """Each query's input negatives once, in input order, ranked 1..n; the `unusable` ones (a negative that is also
    a positive of the same query: the input contradicts itself; for labeled pairs one that is a positive the other
    way round; the query's own text) are dropped: found here unless the caller has them."""
    unusable = unusable or unusable_negatives(canon)
    return (canon.negatives.join(unusable.all(), on=["query_id", "doc_id"], how="anti", maintain_order="left")
            .with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over("query_id")))


def check_given_scores(canon: Canonical, selection: Selection) -> None:
    """--scores without a teacher writes the input's scores: where some pairs have one, name the first input row
    of a chosen pair that has none, and its score field, as a reader names a bad value. An input without any
    score is left to `check_scores`, whose error says where scores can come from."""
    missing = selection.missing_scores()
    scored = canon.positives["score"].is_not_null().any() or canon.negatives["score"].is_not_null().any()
    if not missing or not scored:
        return
    link = ["query_id", "doc_id"]
    unscored = pl.concat([
        selection.positives.filter(pl.col("score").is_null())
        .join(canon.positives.select(*link, "row"), on=link).select("row", role=pl.lit("positive")),
        selection.negatives.filter(pl.col("doc_id").is_not_null() & pl.col("score").is_null())
        .join(canon.negatives.select(*link, "row"), on=link).select("row", role=pl.lit("negative")),
    ])
    row, role = unscored.sort("row", nulls_last=True, maintain_order=True).row(0)
    raise located_error(canon.sources[0], canon.unit, canon.parts, canon.fields, f"--scores: no score for this {role}; "
                        f"{missing:,} of the (query, text) pairs have no score in the input; use prep run (the "
                        "encoder's scores) or --teacher MODEL", row, f"{role}_score")


def check_convert_config(path: Path | None) -> dict:
    """convert reads only [layout] and mining.negatives/seed from a TOML file: another real setting would be
    ignored. An unknown table or key is an error first, as for prep run (`read_config_file`). Returns the file's
    tables ({} without a file)."""
    if path is None:
        return {}
    loaded = read_config_file(path)
    extra = [table for table in loaded if table not in ("layout", "mining")]
    extra += [f"mining.{key}" for key in loaded.get("mining", {}) if key not in ("negatives", "seed")]
    if extra:
        raise ConfigError(f"{path}: prep convert uses only [layout] and mining.negatives / mining.seed; "
                          f"{', '.join(extra)} would be ignored (they are for prep run)")
    return loaded


def convert(inputs: RunInputs, config: RunConfig, out: Path, sources: dict[str, str] | None = None) -> dict:
    """Lay out the input's own negatives; `sources` as for `run_pipeline`."""
    from pipeline.readers import read_dataset
    from pipeline.stages.scores import teacher_scores

    if config.layout.fill == "mine":
        raise ConfigError("prep convert does not mine: use --fill drop, repeat or pad, or prep run to mine")
    named = sources or path_sources(None, {})
    check_k(config, named["--negatives"])
    check_out(out)
    start = time.perf_counter()
    canon = read_dataset(inputs.data, inputs.fmt, inputs.split, inputs.columns)
    # Scored pairs hold a query's negatives even when it has no positive (scored 0): those rows are not lost. Their
    # losses score the cosine, the same either way round: (b, a) at 0 contradicts (a, b) above 0, as lint reads it.
    negatives_kept = config.layout.layout == "labeled-pair"
    positives, anchor_pairs = split_off_anchors(canon.positives)
    positives = choose_positives(positives, config.layout.positives, config.mining.seed)
    # once (a hash table of the positives); a negative is dropped as a positive the other way round that is kept
    unusable = unusable_negatives(canon, positives if negatives_kept else None)
    negatives = given_negatives(canon, unusable)
    selection = Selection.of(canon, positives, negatives, config.mining.negatives)
    scores_note = convert_scores_note(config.layout, selection)  # the input's scores, before a teacher's
    if config.layout.teacher:
        selection = teacher_scores(selection, config.layout.teacher, named["--teacher"])
    elif config.layout.scores:
        check_given_scores(canon, selection)
    # no encoder here: texts that differ only in case are the near-duplicates it can see
    links = case_links(canon.queries["text"]), case_links(canon.corpus["text"])
    output = lay_out_output(canon, selection, config, *links, excluded=anchor_pairs,
                            query_copies=case_copies(canon.queries, canon.corpus))
    summary = layout_summary(output.layout, config, scores_note)
    if cut := cut_negatives_note(negatives, positives, config):
        summary["negatives_note"] = cut
    if repeats := repeated_anchors_note(output.layout, config):
        summary["batches_note"] = repeats
    if config.layout.layout == "flag":
        short = typed_short_note(selection, selection.k) if config.layout.fill == "drop" else None
        notes = {"train_data_note": unmarked_note(inputs.data), "types_note": short}
        summary |= {key: note for key, note in notes.items() if note}
    if warning := split_names_warning(canon.sources[0]):  # test.jsonl beside train.jsonl: trained on, said
        summary["split_names_warning"] = warning
    if instructions := instruction_summary(canon, output.layout, config.layout.layout):
        summary["instructions"] = instructions
    used = output.layout.negative_cells()
    manifest = {
        "inputs": describe_inputs([inputs.data], inputs.split),
        "config": {"layout": config.to_dict()["layout"],
                   "mining": {"negatives": config.mining.negatives, "seed": config.mining.seed}},
        "packages": package_versions(),
        "stages": stage_counts(canon, output, negatives_kept, unusable),
        "layout": summary,
        "batches": output.batches,
        "negatives": {"given": canon.negatives.height,
                      "dropped_as_positive_of_the_same_query": unusable.positive.height,
                      "dropped_as_a_positive_the_other_way_round": unusable.reversed_.height,
                      "dropped_as_the_anchor_itself": unusable.query.height,
                      "in_output_rows": int(used)},
        "timings_seconds": {"convert": round(time.perf_counter() - start, 3)},
    }
    manifest["layout"] = with_no_rows_warning(summary, manifest["stages"], short_rows_fix(negatives, positives, config))
    rejects = pl.concat([rejected_rows(canon, negatives_kept, unusable), output.rejects], how="diagonal_relaxed")
    write_output(out, canon, output, rejects, manifest, config, load_token_counter(None))
    return manifest
