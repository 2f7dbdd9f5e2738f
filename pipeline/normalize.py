"""Text normalisation and content-hash ids: the same normalised text always gets the same id."""

import polars as pl
import polars_hash as plh

# Printable ASCII with single inner spaces is already normalised; only the rest pays for NFKC + regex.
_NEEDS_NORMALISING = r"[^\x21-\x7e ]|  |^ | $"
# Invisible format characters that say nothing about which text it is: zero width space, word joiner, soft
# hyphen, byte-order mark (zero width no-break space). A copy of a text with one of them is the same text.
INVISIBLE = r"[\x{200b}\x{2060}\x{ad}\x{feff}]"


def normalize_texts(texts: pl.LazyFrame) -> pl.LazyFrame:
    """Add `norm` (see `normalized`) and `id` to a frame of distinct `text`."""
    needs = pl.col("text").str.contains(_NEEDS_NORMALISING)
    clean = texts.filter(~needs).with_columns(norm=pl.col("text"))
    dirty = texts.filter(needs).with_columns(norm=normalized(pl.col("text")))
    return pl.concat([clean, dirty]).with_columns(id=text_id(pl.col("norm")))


def normalized(text: pl.Expr) -> pl.Expr:
    """The text as prep identifies it (its id is the hash of this) and compares it: invisible format characters
    (`INVISIBLE`) removed, NFKC, whitespace collapsed and stripped, case kept. Texts are written as given.

    They are removed first, so that NFKC composes the characters they stood between. Zero width (non-)joiners,
    U+200C and U+200D, are kept: they change how Persian and Indic words are written and which emoji a sequence
    is, so two texts that differ in them need not be the same text."""
    return (text.str.replace_all(INVISIBLE, "").str.normalize("NFKC").str.replace_all(r"\s+", " ")
            .str.strip_chars())


def uncased(text: pl.Expr, accents: bool = True) -> pl.Expr:
    """The text as an uncased tokenizer (BERT's, all-MiniLM-L6-v2's) sees it: normalised, lowercased and, with
    `accents`, without them: texts equal here are one text to such an encoder. Without accents one compatibility
    decomposition (NFKD) does NFKC's work and the accents' in one pass over the text."""
    if not accents:
        return normalized(text).str.to_lowercase()
    return (text.str.replace_all(INVISIBLE, "").str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
            .str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars())


def content_ids(texts: pl.DataFrame) -> pl.Series:
    """The id of each text (columns id, text) as given: its canonical id (that of its normalised form) where the text
    is normalised already, as most are, so that nothing is copied or hashed again; else the hash of the text itself
    (x² apart from x2, which share the canonical id)."""
    rows = texts["text"].str.contains(_NEEDS_NORMALISING).arg_true()
    if rows.is_empty():
        return texts["id"]
    return texts["id"].clone().scatter(rows, texts[rows].select(text_id(pl.col("text"))).to_series())


def text_id(norm: pl.Expr) -> pl.Expr:
    """The stable content id of normalised text: xxhash64, the same across runs, machines and versions."""
    return plh.concat_str(norm).nchash.xxhash64()
