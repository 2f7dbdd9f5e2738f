"""Scale of `prep run`: growing query counts against a fixed corpus, with a fast static encoder.

The encoder is a StaticEmbedding (random 64-d token embeddings over MiniLM's tokenizer; `--dimension` sets another
size); texts are random words of its vocabulary and each query is half of its positive's words. So the run measures
prep itself: reading, encoding bookkeeping, the index, near-duplicate links, chunked search and selection, layout
and writing. Each size runs cold (its own cache) in a child process; wall time and peak RSS are the child's.
Usage: python benchmarks/mine_scale.py [--sizes 100000 300000 1000000] [--corpus 1000000] [--dimension 64] [--words 12]
       [--mining positive_neighbors=0 max_positive_rank=0]   (TOML values of the [mining] table)
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl
from measure import run_measured


def build_static_model(folder: Path, dimension: int = 64) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    from pipeline.report.tokens import default_model_path

    tokenizer = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
    torch.manual_seed(0)  # the same random vectors every run, so that runs compare
    model = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=dimension)], device="cpu")
    model.save(str(folder))
    return folder


def vocabulary() -> np.ndarray:
    """Whole-word tokens of MiniLM's vocabulary: one token each, so every word has its own random vector."""
    from pipeline.report.tokens import default_model_path

    words = (default_model_path() / "vocab.txt").read_text().split()
    return np.array([w for w in words if w.isalpha() and w.isascii() and len(w) > 3][:5000])


def synthetic_texts(count: int, rng: np.random.Generator, words: int, vocab: np.ndarray) -> pl.Series:
    picks = vocab[rng.integers(0, len(vocab), size=(count, words))]
    return pl.Series("text", [" ".join(row) for row in picks])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--corpus", type=int, default=1_000_000)
    parser.add_argument("--dimension", type=int, default=64, help="the static encoder's embedding dimension "
                        "(MiniLM's is 384): what the embeddings cost per text")
    parser.add_argument("--words", type=int, default=12, help="words per corpus text (about 7 bytes each): what the "
                        "output's texts weigh")
    parser.add_argument("--mining", nargs="*", default=[], metavar="KEY=VALUE",
                        help="settings of the [mining] table, to measure what one filter costs")
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    work = Path(tempfile.mkdtemp(prefix="prep-scale-"))
    rng = np.random.default_rng(0)
    model = build_static_model(work / "static", args.dimension)
    vocab = vocabulary()
    corpus = synthetic_texts(args.corpus, rng, words=args.words, vocab=vocab)
    corpus.to_frame().write_csv(work / "corpus.txt", include_header=False, quote_style="never")
    config = work / "prep.toml"
    # A static encoder is cheap per text, not per batch.
    config.write_text("[encoder]\nbatch_size = 4096\n[mining]\n" + "".join(f"{item}\n" for item in args.mining))
    print(f"corpus {args.corpus:,} texts of {args.words} words; encoder StaticEmbedding {args.dimension}-d; "
          f"mining {args.mining or 'defaults'}")
    print(f"{'queries':>10} {'wall s':>8} {'s per 100k':>11} {'peak RSS MiB':>13} {'rows out':>10}")
    anchor = None
    for size in args.sizes:
        # A query is half of its positive's words, so it is closer to it than to the rest of the corpus.
        positives = corpus.gather(rng.integers(0, args.corpus, size=size))
        queries = positives.str.split(" ").list.head(args.words // 2).list.join(" ")
        path = work / f"queries_{size}.jsonl"
        pl.DataFrame({"anchor": queries, "positive": positives}).write_ndjson(path)
        command = [str(Path(sys.executable).parent / "prep"), "run", str(path), "--corpus", str(work / "corpus.txt"),
                   "--model", str(model), "--out", str(work / f"out_{size}"), "--config", str(config),
                   "--cache-dir", str(work / f"cache_{size}")]  # cold: every size encodes everything
        wall, peak = run_measured(command)  # the child's own peak, not this process's corpus
        per = wall / size * 100_000
        anchor = anchor or per
        manifest = json.loads((work / f"out_{size}" / "manifest.json").read_text())
        rows = manifest["stages"][-1]["rows_out"]
        print(f"{size:>10,} {wall:>8.1f} {per:>11.1f} {peak:>13.0f} {rows:>10,}"
              f"   ({per / anchor:.2f}x the smallest run's cost per query)")
        print("           stages s: " + ", ".join(f"{stage} {seconds:.1f}"
                                                   for stage, seconds in manifest["timings_seconds"].items()))
        print("           peak RSS MiB by the end of: " + ", ".join(
            f"{stage} {mib:,}" for stage, mib in manifest["peak_rss_mib"].items()) + " (then the write)")
        index = manifest["index"]
        print(f"           index {index['kind']}, nprobe {index['nprobe']}, recall at the search depth "
              f"{index['recall_at_search_depth']}")
        filters = manifest["filters"]
        print(f"           searches deepened for K {filters['queries_searched_deeper']:,}, queries searched again "
              f"for a positive's rank {filters['queries_searched_for_positive_rank']:,}, positives ranked low "
              f"{filters['positives_ranked_low']:,}, skipped as neighbours of a positive "
              f"{filters['mined']['skipped'].get('neighbor_of_positive', 0):,}")


if __name__ == "__main__":
    main()
