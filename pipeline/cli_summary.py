"""What `prep run` and `prep convert` print when they finish: rows per stage, filter notes, where the output is."""

import re
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console
from rich.markup import escape

from pipeline.errors import shown
from pipeline.publish import DRIVERS, is_uri
from pipeline.wording import counted


def render_run_summary(manifest: dict, out: Path | str, target: Console) -> None:
    """In the order the stages ran: read, encode, mine, then the layout and its batches."""
    print_stages(manifest["stages"][:1], target)
    encoding, cache = manifest["encoding"], manifest["checkpoint"]
    texts = encoding["texts_encoded"] + encoding["texts_from_cache"]
    target.print(f"encode: {counted(texts, 'text', 'texts')}, {encoding['texts_encoded']:,} encoded and "
                 f"{encoding['texts_from_cache']:,} from the cache ({escape(str(encoding['cache_dir']))}) in "
                 f"{encoding['seconds']:.1f} s")
    index, chosen = manifest["index"], manifest["scores"]["chosen_negatives"]["count"]
    target.print(f"mine: {counted(chosen, 'negative', 'negatives')} chosen, {index['kind']} index over "
                 f"{counted(index['documents'], 'document', 'documents')}"
                 + (" (resumed from its checkpoint)" if cache["resumed"] else ""))
    if "ranked_low_message" in manifest["filters"]:
        target.print(f"  {manifest['filters']['ranked_low_message']}")
    for source in ("given", "mined"):
        for message in manifest["filters"].get(source, {}).get("messages", []):
            target.print(f"  {message}")
    if index["recall_at_search_depth"] is not None:
        colour = "yellow" if index["target_reached"] is False else "default"
        target.print(f"[{colour}]index {index['kind']}, nprobe {index['nprobe']}: recall "
                     f"{index['recall_at_search_depth']:.3f} of the exact top-k[/]")
    print_stages(manifest["stages"][1:], target)
    print_batches(manifest, target)
    print_layout(manifest["layout"], out, target)


def print_batches(manifest: dict, target: Console) -> None:
    batches = manifest.get("batches")
    if not batches:
        return
    target.print(f"batches of {batches['batch_size']}: {batches['conflicts_in_input_order']:,} conflicting pairs "
                 f"in input order, {batches['conflicts_after_layout']:,} after layout, "
                 f"{counted(batches['rows_set_aside'], 'row', 'rows')} set aside ({batches['leftover']})")
    target.print(f"  {block_counts(batches)}")


def block_counts(batches: dict) -> str:
    """The batches BlockBatchSampler yields: rows in blocks shorter than B see fewer in-batch negatives."""
    size, full, rows = batches["batch_size"], batches["full_blocks"], batches["rows_in_shorter_blocks"]
    text = f"{counted(full, 'full block', 'full blocks')} of {size}"
    if rows:
        text += (f"; {counted(rows, 'row', 'rows')} in blocks of fewer than {size}, "
                 "trained as smaller batches")
    return text


def print_stages(stages: list[dict], target: Console) -> None:
    for stage in stages:
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in stage.get("rejected_by_reason", {}).items())
        target.print(f"{stage['stage']}: {stage['rows_in']:,} {stage['unit']} in, {stage['rows_out']:,} out, "
                     f"{stage['rows_rejected']:,} rejected" + (f" ({escape(reasons)})" if reasons else ""))
        for key in ("empty_texts_message", "contradiction_message", "message"):
            if key in stage:
                target.print(f"  [yellow]{escape(stage[key])}[/]")


def print_layout(summary: dict, out: Path | str, target: Console) -> None:
    notes = ("note", "scores_note", "negatives_note", "prompts_note", "passage_prompt_note", "train_data_note",
             "types_note", "batches_note")
    warnings = ("split_names_warning", "warning")
    for key, label in (*((note, "note") for note in notes), *((warning, "warning") for warning in warnings)):
        if key in summary:
            target.print(f"[yellow]{label}:[/] {escape(summary[key])}")
    for entry in summary.get("instructions", {}).values():
        if "note" in entry:
            target.print(f"[yellow]note:[/] {escape(entry['note'])}")
    splits = ", ".join(f"{name} {counted(split['rows'], 'row', 'rows')}" for name, split in summary["splits"].items())
    target.print(f"wrote {escape(shown(out))}: {summary['layout']} ({splits}), rejects.parquet, manifest.json, "
                 f"report.json, report.html; load with {escape(load_line(summary['load'], out))}")


def load_line(load: str, out: Path | str) -> str:
    """The manifest's load call for OUT. datasets reads `data_dir` as a local path, so a URI's Parquet files are
    named by `data_files`; fsspec reads a URI through a package of its own (s3fs, gcsfs), which prep does not need."""
    if not is_uri(str(out)):
        return load.replace("OUT", str(out))
    load = re.sub(r'data_dir=(f?)"OUT/data([^"]*)"', r'data_files=\1"OUT/data\2/*.parquet"', load)
    driver = DRIVERS.get(urlsplit(str(out)).scheme)
    return load.replace("OUT", shown(out)) + (f" (with {driver} installed)" if driver and "FlagEmbedding" not in load
                                               else "")
