"""The class names `datasets` declares for a label column (ClassLabel), which say what each label number means."""

import json
import re
from pathlib import Path

from pipeline.readers.arrow_views import file_schema
from pipeline.readers.table_folders import folder_shards, is_datasets_folder, parquet_splits

# A class name that means a match: where it is label 0 (RTE's and QNLI's entailment), read as a score (above 0 a
# positive) every match would be a negative.
MATCH = re.compile(r"^(entail|duplicate|equivalent|paraphrase|similar|relevant|positive|match|yes|true)", re.IGNORECASE)


def class_columns(path: Path, split: str) -> dict[str, list[str]]:
    """The ClassLabel names of each column that has them in a datasets folder, Parquet or Arrow file that `datasets`
    wrote (its features); {} for any other file."""
    return {column: [str(name) for name in feature["names"]] for column, feature in _features(path, split).items()
            if isinstance(feature, dict) and feature.get("_type") == "ClassLabel"
            and isinstance(feature.get("names"), list)}


def classes_read_as_scores(column: str, names: list[str] | None) -> tuple[str, str] | None:
    """Why a ClassLabel column is no relevance score where its label 0 is a match, or its classes are NLI's, and
    what to do."""
    if not names or not (MATCH.match(names[0]) or (len(names) > 2 and any("entail" in n.lower() for n in names))):
        return None
    classes = ", ".join(f"{index} {name}" for index, name in enumerate(names))
    if len(names) > 2:
        match = next(index for index, name in enumerate(names) if "entail" in name.lower())
        fix = (f"Keep the {names[match]} pairs as (anchor, positive) for MultipleNegativesRankingLoss (`dataset.filter("
               f"lambda row: row['{column}'] == {match}).remove_columns(['{column}'])`), or train SoftmaxLoss on the "
               "classes as they are")
    else:
        fix = (f"Flip them so that 1 is {names[0]}: `dataset.map(lambda row: {{'{column}': 1 - row['{column}']}})"
               f".cast_column('{column}', datasets.Value('int64'))`")
    return (f"'{column}' holds classes ({classes}), not relevance: read as scores, above 0 a positive, every "
            f"'{names[0]}' pair would be a negative"), fix


def _features(path: Path, split: str) -> dict:
    try:
        if is_datasets_folder(path):
            folder = path / split if (path / "dataset_dict.json").exists() else path
            return json.loads((folder / "dataset_info.json").read_text(encoding="utf-8")).get("features") or {}
        files = (parquet_splits(path).get(split) or folder_shards(path)) if path.is_dir() else [path]
        if not files or files[0].suffix.lower() not in (".parquet", ".arrow"):
            return {}
        schema = file_schema(files[0])
        metadata = (schema.metadata or {}).get(b"huggingface") if schema is not None else None
        return json.loads(metadata)["info"]["features"] if metadata else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # no readable description: the numbers are read as they are
