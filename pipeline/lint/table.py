"""A table under lint: its source, layout and roles, and one long view of its texts that content rules share."""

from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from pipeline.lint.layouts import Roles
from pipeline.lint.load import Source
from pipeline.normalize import normalize_texts, text_id, uncased
from pipeline.readers.files import ROW
from pipeline.readers.lists import SCORE_LISTS


@dataclass
class LintTable:
    source: Source
    layout: str
    roles: Roles
    cache: dict = field(default_factory=dict)  # per-table results that several rules share (embeddings, links)

    @property
    def frame(self) -> pl.DataFrame:
        return self.source.frame

    @property
    def rows(self) -> int:
        return self.source.frame.height

    @cached_property
    def texts(self) -> pl.DataFrame:
        """One row per text: `ROW`, `line`, `role` (anchor, positive, negative), `rank` (1-based within the role),
        `column`, `text` (raw, may be null), `raw` (hash of the raw text), `id` (content id of the normalised
        text, null when the text is null or empty after normalisation).

        `ROW` is the row that holds the text (rules pair a row's texts by it), `line` the input line a finding
        about the text names: `ROW`, but in a BEIR folder, whose row is a query named by its first qrels line,
        a document's own qrels line (the judgement's).

        In labeled pairs and lists a text with a label above 0 is a positive, the others negatives; in a list of
        scores (ST's miner's) the first text is the positive, as `pipeline.readers.lists` reads it."""
        long = pl.concat([*self._role_parts("anchor", (self.roles.anchor,)),
                          *self._role_parts("positive", self.roles.positives),
                          *self._role_parts("negative", self.roles.negatives)], how="vertical")
        # Each distinct raw text is normalised once, found again by an in-process 64-bit hash (an integer join
        # is several times faster than a string join; a collision would merge two texts, at odds of ~1e-8 in 1M).
        long = long.with_columns(raw=pl.col("text").hash())
        distinct = long.filter(pl.col("text").is_not_null() & pl.col("raw").is_first_distinct()).select("raw", "text")
        self.cache["normalised"] = normalize_texts(distinct.lazy()).select("raw", "norm", "id").collect()
        return long.join(self.cache["normalised"], on="raw", how="left", maintain_order="left").select(
            ROW, "line", "role", "rank", "column", "text", "raw", id=pl.when(pl.col("norm") != "").then("id"))

    def keyed(self, folds_case: bool, strips_accents: bool = False) -> tuple[pl.DataFrame, str]:
        """`texts` and the column that says which texts the encoder sees as one: `id`, or with a tokenizer that
        lowercases (`folds_case`, all-MiniLM-L6-v2's does) `fold`, the id of the normalised text lowercased and,
        where the tokenizer also strips accents (BERT's uncased one does), without them."""
        if not folds_case:
            return self.texts, "id"
        if "fold" not in self.cache:
            texts = self.texts  # puts `normalised` (raw, norm, id of each distinct text) in the cache
            folded = uncased(pl.col("norm"), strips_accents)
            differs = pl.col("norm").str.contains(r"\p{Lu}")
            if strips_accents:
                differs = differs | pl.col("norm").str.contains(r"[^\x00-\x7f]")
            mapping = self.cache["normalised"].select("raw", fold=pl.when(differs).then(text_id(folded))
                                                      .otherwise("id"))
            self.cache["fold"] = texts.join(mapping, on="raw", how="left", maintain_order="left").with_columns(
                fold=pl.when(pl.col("id").is_not_null()).then("fold"))
        return self.cache["fold"], "fold"

    @cached_property
    def distinct(self) -> pl.DataFrame:
        """`raw` and `text` once per distinct raw text (mined data repeats its passages across many rows)."""
        return self.texts.filter(pl.col("text").is_not_null() & pl.col("raw").is_first_distinct()).select("raw", "text")

    def matching(self, pattern: str) -> pl.DataFrame:
        """The rows of `texts` whose raw text matches the regex `pattern`, tested once per distinct text."""
        found = self.distinct.filter(pl.col("text").str.contains(pattern))["raw"]
        return self.texts.filter(pl.col("raw").is_in(found.implode())) if found.len() else self.texts.clear()

    def _role_parts(self, role: str, columns: tuple[str, ...]) -> list[pl.DataFrame]:
        parts = []
        for position, column in enumerate(columns, start=1):
            if column not in self.frame.columns:
                continue
            # A BEIR row lists each document's own qrels line beside it (`pipeline.readers.beir`).
            own_lines = self.source.is_beir and column != self.roles.anchor
            values = self.frame.select(ROW, text=pl.col(column), line=pl.col(f"{column}_line" if own_lines else ROW),
                                       label=self._label())
            if isinstance(values.schema["text"], pl.List):
                values = values.filter(pl.col("text").list.len() > 0).with_columns(
                    rank=pl.int_ranges(1, pl.col("text").list.len() + 1, dtype=pl.Int64))
                values = values.explode(["text", "rank", *(["line"] if own_lines else [])])
            else:
                values = values.with_columns(rank=pl.lit(position, pl.Int64))
            label = pl.col("label")
            if isinstance(values.schema["label"], pl.List):  # labeled lists: one label per document
                label = label.list.get(pl.col("rank") - 1, null_on_oob=True)
            role_expr = pl.lit(role)
            if role == "positive" and self.layout == "labeled-list" and self.roles.label in SCORE_LISTS:
                role_expr = pl.when(pl.col("rank") == 1).then(pl.lit(role)).otherwise(pl.lit("negative"))
            elif role == "positive":
                role_expr = pl.when(label.fill_null(1.0) > 0).then(pl.lit(role)).otherwise(pl.lit("negative"))
            parts.append(values.select(ROW, pl.col("line").cast(self.frame.schema[ROW]), role=role_expr, rank="rank",
                                       column=pl.lit(column), text=pl.col("text").cast(pl.String)))
        return parts

    def _label(self) -> pl.Expr:
        """The label that decides positive or negative in labeled pairs and lists; 1.0 elsewhere."""
        label = self.roles.label
        dtype = self.frame.schema.get(label) if label else None
        numeric = dtype is not None and (dtype == pl.Float64 or dtype == pl.List(pl.Float64))
        if self.layout not in ("labeled-pair", "labeled-list") or not numeric:
            return pl.lit(1.0)
        return pl.col(label)
