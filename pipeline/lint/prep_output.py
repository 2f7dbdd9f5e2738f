"""What the manifest.json of a `prep run` / `prep convert` output tells lint about the data in it: where its data
(a flag output's --train_data) is, and the train_group_size a flag output was written for."""

import json
from pathlib import Path

from pipeline.config_layout import LAYOUTS
from pipeline.errors import InputError
from pipeline.layouts.flag import FLAG_FILE, FLAG_FOLDER
from pipeline.stages.write import PARQUET_FOLDER, is_prep_manifest


def flag_output(path: Path) -> tuple[Path, dict] | None:
    """The root and `layout` summary of the prep flag output that DATA is, or holds DATA as its train.jsonl, its
    train/ folder or a file in that; None for anything else."""
    path = path.resolve()
    for root in (path, path.parent, path.parent.parent):
        if path.relative_to(root).parts[:1] in ((), (FLAG_FILE,), (FLAG_FOLDER,)) \
                and is_prep_manifest(root / "manifest.json"):
            layout = json.loads((root / "manifest.json").read_text(encoding="utf-8")).get("layout") or {}
            return (root, layout) if layout.get("layout") == "flag" else None
    return None


def train_data(path: Path) -> Path:
    """A prep flag output folder is linted as its --train_data (train.jsonl, or the train/ folder of one file per
    type), and a Parquet output folder as its data/ folder (`load_dataset("parquet", data_dir=OUT/data)`), not as
    the folder holding it with its manifest, report and rejects; any other DATA is itself."""
    if is_prep_manifest(path / "manifest.json") and (path / PARQUET_FOLDER).is_dir():
        return path / PARQUET_FOLDER
    found = flag_output(path)
    if found is None or path.resolve() != found[0]:
        return path
    return path / FLAG_FILE if (path / FLAG_FILE).is_file() else path / FLAG_FOLDER


def written_layout(path: Path) -> str | None:
    """The layout that the prep output DATA is (or holds DATA as its train.jsonl, train/ or data/, or a file in
    those) says it wrote; None for anything else. An empty output has no columns to tell its layout by."""
    path = path.resolve()
    for root in (path, path.parent, path.parent.parent):
        if path.relative_to(root).parts[:1] in ((), (FLAG_FILE,), (FLAG_FOLDER,), (PARQUET_FOLDER,)) \
                and is_prep_manifest(root / "manifest.json"):
            written = json.loads((root / "manifest.json").read_text(encoding="utf-8")).get("layout") or {}
            return written.get("layout") if written.get("layout") in LAYOUTS else None
    return None


def written_group_size(path: Path) -> int | None:
    """The train_group_size the flag output holding DATA was written for (the manifest's load line gives it to
    FlagEmbedding: K negatives per row + 1); None where DATA is no such output."""
    found = flag_output(path)
    negatives = found[1].get("negatives_per_row") if found else None
    return negatives + 1 if isinstance(negatives, int) else None


def refuse_model_scores(path: Path) -> None:
    """Refuse to read a `prep run --scores` (or `--teacher`) pair or list output as data: its labels are a model's
    scores of the positives and the mined negatives alike, so they no longer say which texts are positives (read as
    relevance, every mined negative above 0 was a positive). Its own report.json was made from what it was made of."""
    for root in (path, path.parent, path.parent.parent):
        if not is_prep_manifest(root / "manifest.json"):
            continue
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        settings = (manifest.get("config") or {}).get("layout") or {}
        layout = (manifest.get("layout") or {}).get("layout")
        scorer = settings.get("teacher") or (manifest.get("model") or {}).get("name")  # only prep run has a model
        if layout in ("labeled-pair", "labeled-list") and settings.get("scores") and scorer:
            inputs = ", ".join(entry["path"] for entry in manifest.get("inputs", []) if "path" in entry)
            raise InputError(path, f"a {layout} output of prep with --scores: its labels are {scorer}'s scores of "
                             "positives and mined negatives alike, so they do not say which texts are positives. "
                             f"Its report is {root / 'report.json'}; to re-shape the data, read what it was made "
                             f"from ({inputs})")
        return
