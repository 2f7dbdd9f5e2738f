"""The output report's tables built from the rows' ids are the tables `build_canonical` makes of the rows' texts."""

import json
from pathlib import Path

import polars as pl
import pytest
from flag_rows import ROWS
from polars.testing import assert_frame_equal

from pipeline.canonical import InputRows, build_canonical
from pipeline.config import LayoutConfig
from pipeline.convert import given_negatives
from pipeline.layouts import lay_out
from pipeline.layouts.selection import Selection
from pipeline.readers import read_dataset
from pipeline.report.output_tables import first_pairs, output_canonical
from pipeline.report.profile import profile

# France twice (two rows with the same anchor, one negative shared), and a query with negatives only.
DATA = [*ROWS, {"query": ROWS[0]["query"], "pos": ["france's capital is paris"], "neg": ROWS[0]["neg"][1:]},
        {"query": "what is chlorophyll", "pos": [], "neg": ["leaves are green"]}]
LAYOUTS = [{"layout": "n-tuple", "fill": "drop"}, {"layout": "n-tuple", "fill": "repeat"},
           {"layout": "n-tuple", "fill": "pad", "allow_padding": True}, {"layout": "triplet"}]


@pytest.mark.parametrize("settings", LAYOUTS, ids=lambda layout: "-".join(str(v) for v in layout.values()))
def test_tables_from_ids_equal_the_tables_from_texts(tmp_path, settings):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in DATA))
    canon = read_dataset(path, None, "train", None)
    negatives = given_negatives(canon)
    layout = lay_out(Selection.of(canon, canon.positives, negatives, 2), LayoutConfig(**settings), 12)
    assert layout.ids is not None and layout.rows.height >= 3
    source = Path("output")
    from_ids = output_canonical(canon, layout, source)
    from_texts = build_canonical(InputRows(layout.view.collect().with_row_index("row", 1), source, {}, "row"))
    for table in ("queries", "corpus", "positives", "negatives", "rows"):
        assert_frame_equal(getattr(from_ids, table), getattr(from_texts, table), check_dtypes=True)
    assert_frame_equal(from_ids.empty.sort("row"), from_texts.empty.sort("row"))
    assert profile(from_ids, None) == profile(from_texts, None)
    # The manifest's negatives in the rows, from the ids: what the lists of the view hold, padding included.
    view = layout.view.collect()
    assert layout.negative_cells() == view["negative"].list.len().sum() == layout.rows.height * (
        1 if settings["layout"] == "triplet" else 2)
    if settings.get("fill") == "pad":
        assert from_ids.empty.height > 0  # padding is counted as empty negative texts, not left out silently


def test_layouts_without_ids_are_read_from_their_texts(flag_data):
    canon = read_dataset(flag_data, None, "train", None)
    negatives = given_negatives(canon)
    layout = lay_out(Selection.of(canon, canon.positives, negatives, 2), LayoutConfig(layout="labeled-list"), 12)
    assert layout.ids is None
    tables = output_canonical(canon, layout, Path("output"))
    assert tables.rows.height == layout.rows.height == sum(1 for row in ROWS if row["neg"])  # no negatives: rejected


def test_first_pairs_keeps_each_pair_once_even_where_hashes_collide(monkeypatch):
    """The pair's hash finds repeats; pairs that share a hash are told apart by their ids (forced here: every pair
    hashed to 0), so a pair is never dropped as a repeat of another."""
    links = pl.DataFrame({"query_id": [1, 1, 2, 1, 2, 3], "doc_id": [5, 6, 5, 5, 5, 6], "row": [1, 2, 3, 4, 5, 6]},
                         schema={"query_id": pl.UInt64, "doc_id": pl.UInt64, "row": pl.UInt32})
    exact = links.filter(pl.struct("query_id", "doc_id").is_first_distinct())
    assert exact["row"].to_list() == [1, 2, 3, 6]
    assert_frame_equal(first_pairs(links), exact)
    monkeypatch.setattr(pl.Expr, "hash", lambda self, *args, **kwargs: pl.lit(0, pl.UInt64))
    assert_frame_equal(first_pairs(links), exact)
    assert_frame_equal(first_pairs(links.filter(pl.col("row") != 4).filter(pl.col("row") != 5)), exact)
