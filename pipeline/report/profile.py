"""The numbers of `prep report`, computed from the canonical tables. The keys are a contract for scripts."""

import polars as pl

from pipeline.canonical import ROLES, Canonical
from pipeline.report.tokens import TokenCounter

TOKEN_SAMPLE = 5_000


def profile(canon: Canonical, counter: TokenCounter | None, token_sample: int = TOKEN_SAMPLE) -> dict:
    report = {
        "sources": [str(path) for path in canon.sources],
        "rows_in": canon.rows.height,
        "queries": canon.queries.height,
        "docs": canon.corpus.height,
        "negatives_per_query": distribution(_per_query(canon, canon.negatives)),
        "positives_per_query": distribution(_per_query(canon, canon.positives)),
        "duplicate_queries": duplicate_counts(canon),
        "empty_texts": {role: int((canon.empty["role"] == role).sum()) for role in ROLES},
        "missing_negatives": canon.missing_negatives,
    }
    if counter is not None:
        report["text_tokens"] = text_tokens(canon, counter, token_sample)
    return report


def duplicate_counts(canon: Canonical) -> dict[str, int]:
    """Rows whose exact query text appeared in an earlier row, and further rows that match one only after
    normalisation."""
    rows = canon.rows.filter(pl.col("query_id").is_not_null())
    distinct_exact = int(rows["first_exact"].sum())
    return {"exact": rows.height - distinct_exact, "normalized": distinct_exact - canon.queries.height}


def distribution(counts: pl.Series) -> dict:
    """{histogram: {"0": n, ...}, min, p50, p90, p99, max, mean}; percentiles interpolate linearly."""
    histogram = counts.value_counts(sort=False).sort(counts.name)
    stats = {"histogram": {str(value): int(n) for value, n in histogram.iter_rows()}}
    if counts.is_empty():
        return stats | dict.fromkeys(("min", "p50", "p90", "p99", "max", "mean"))
    quantile = {f"p{q}": round(float(counts.quantile(q / 100, interpolation="linear")), 3) for q in (50, 90, 99)}
    extremes = {"min": int(counts.min()), "max": int(counts.max()), "mean": round(float(counts.mean()), 3)}
    return stats | {"min": extremes["min"], **quantile, "max": extremes["max"], "mean": extremes["mean"]}


def text_tokens(canon: Canonical, counter: TokenCounter, sample: int) -> dict:
    """Token-length percentiles per role over distinct texts (rounded to 3 decimals, as in `distribution`); a
    deterministic sample above `sample` texts."""
    by_role = {
        "query": (canon.queries["query_id"], canon.queries),
        "positive": (canon.positives["doc_id"].unique(), canon.corpus),
        "negative": (canon.negatives["doc_id"].unique(), canon.corpus),
    }
    limit = counter.max_seq_length  # None: the model truncates nothing
    result: dict = {"model": counter.name, "max_seq_length": limit,
                    "prompts": {"query": counter.prompts[0], "document": counter.prompts[1]}}  # counted in
    for role, (ids, table) in by_role.items():
        # Ids are hashes, so the smallest ids are a uniform, reproducible sample.
        chosen = ids.bottom_k(sample).to_frame("id")
        key = table.columns[0]
        texts = table.join(chosen.rename({"id": key}), on=key, how="semi").sort(key)
        lengths = pl.Series("tokens", counter.count(texts["text"].to_list(), role), dtype=pl.Int64)
        result[role] = {
            "texts": ids.len(),
            "sampled": texts.height < ids.len(),
            "measured": texts.height,
            **{f"p{q}": None if lengths.is_empty() else round(lengths.quantile(q / 100, interpolation="linear"), 3)
               for q in (50, 90, 99)},
            "max": lengths.max(),
            "over_max_seq_length": 0 if limit is None else int((lengths > limit).sum()),
        }
    return result


def _per_query(canon: Canonical, links: pl.DataFrame) -> pl.Series:
    counts = links.group_by("query_id").len()
    joined = canon.queries.select("query_id").join(counts, on="query_id", how="left")
    return joined["len"].fill_null(0).cast(pl.Int64).rename("per_query")
