"""The real files in ../shared/data converted: counts checked against an independent count in plain Python."""

import json
from collections import defaultdict

import datasets
from plain_norm import norm


def test_trecqa_buckets_keep_every_negative(shared_data, convert_to, tmp_path):
    path = shared_data / "trecqa" / "train_pos_neg.jsonl"
    negatives, positives = defaultdict(list), defaultdict(set)
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        key = " ".join(row["query"].split())
        positives[key].update(" ".join(p.split()) for p in row["pos"])
        for text in row["neg"]:
            text = " ".join(text.split())
            if text not in negatives[key] and text not in positives[key]:
                negatives[key].append(text)
    manifest = convert_to(path, layout="buckets")
    buckets = datasets.load_from_disk(str(tmp_path / "out"))
    expected = defaultdict(int)
    for query, texts in negatives.items():
        if texts and positives[query]:
            expected[f"neg{len(texts)}"] += len(positives[query])
    assert {name: len(split) for name, split in buckets.items()} == dict(expected)
    assert all(stage["reconciled"] for stage in manifest["stages"])


def test_sts_b_scored_pairs_keep_their_scores(shared_data, convert_to, tmp_path):
    path = shared_data / "stsbenchmark" / "dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    convert_to(path, layout="labeled-pair", scores=True)
    pairs = datasets.load_from_disk(str(tmp_path / "out"))
    expected = {}
    for row in rows:  # a repeated (sentence1, sentence2) keeps its first score, as the canonical model does
        expected.setdefault((norm(row["sentence1"]), norm(row["sentence2"])), row["score"])
    assert {(norm(r["sentence1"]), norm(r["sentence2"])): r["score"] for r in pairs} == expected
    given = {row[role] for row in rows for role in ("sentence1", "sentence2")}
    assert {r[role] for r in pairs for role in ("sentence1", "sentence2")} <= given, "texts are written as given"
    assert sum(score == 0 for score in expected.values()) > 100, "pairs scored 0 are kept, with or without a positive"
