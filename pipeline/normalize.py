"""Text normalisation and content-hash ids: the same normalised text always gets the same id."""

import polars as pl
import polars_hash as plh

# Printable ASCII with single inner spaces is already normalised; only the rest pays for NFKC + regex.
_NEEDS_NORMALISING = r"[^\x21-\x7e ]|  |^ | $"


def normalize_texts(texts: pl.LazyFrame) -> pl.LazyFrame:
    """Add `norm` (NFKC, whitespace collapsed and stripped, case kept) and `id` to a frame of distinct `text`."""
    needs = pl.col("text").str.contains(_NEEDS_NORMALISING)
    clean = texts.filter(~needs).with_columns(norm=pl.col("text"))
    dirty = texts.filter(needs).with_columns(norm=normalized(pl.col("text")))
    return pl.concat([clean, dirty]).with_columns(id=text_id(pl.col("norm")))


def normalized(text: pl.Expr) -> pl.Expr:
    """The text as prep stores and writes it: NFKC, whitespace collapsed and stripped, case kept."""
    return text.str.normalize("NFKC").str.replace_all(r"\s+", " ").str.strip_chars()


def text_id(norm: pl.Expr) -> pl.Expr:
    """The stable content id of normalised text: xxhash64, the same across runs, machines and versions."""
    return plh.concat_str(norm).nchash.xxhash64()
