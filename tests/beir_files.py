"""A BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) written from records, for reader and lint tests."""

import json
from pathlib import Path


def write_beir_folder(folder: Path, corpus: list[dict], queries: list[dict], qrels: dict[str, list[tuple]]) -> Path:
    (folder / "qrels").mkdir(parents=True)
    for name, records in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        (folder / name).write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    for split, judgements in qrels.items():
        lines = ["query-id\tcorpus-id\tscore", *("\t".join(map(str, qrel)) for qrel in judgements)]
        (folder / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n")
    return folder
