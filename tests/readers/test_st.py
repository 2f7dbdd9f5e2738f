"""sentence-transformers tables: anchor/positive/negative synonyms, lists, negative_1..k, --columns."""

import pytest
from plain_norm import norm

from pipeline.errors import ConfigError, InputError
from pipeline.readers import read_dataset

# Five queries (one repeated with extra spaces), ten passages; "BM25 ranks documents." is a positive of the
# first query and a negative of the second.
TRIPLETS = [
    {"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel."},
    {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative": "BM25 ranks documents."},
    {"anchor": " what is bm25 ", "positive": "BM25 uses term frequency.", "negative": "Paris is in France."},
    {"anchor": "capital of france", "positive": "Paris is the capital of France.", "negative": "Berlin is big."},
    {"anchor": "largest planet", "positive": "Jupiter is the largest planet.", "negative": "Mars is red."},
    {"anchor": "speed of light", "positive": "Light travels fast.", "negative": "Sound is slower."},
]


def test_triplets_become_canonical_tables(write_table, linked) -> None:
    canon = read_dataset(write_table("triplets.jsonl", TRIPLETS))
    assert canon.rows.height == 6
    assert sorted(canon.queries["text"]) == [
        "capital of france", "largest planet", "speed of light", "what is bm25", "who wrote dune"]
    assert canon.corpus.height == 11
    assert set(linked(canon, "positives")) == {
        ("what is bm25", "BM25 ranks documents."), ("who wrote dune", "Frank Herbert wrote Dune."),
        ("what is bm25", "BM25 uses term frequency."), ("capital of france", "Paris is the capital of France."),
        ("largest planet", "Jupiter is the largest planet."), ("speed of light", "Light travels fast.")}
    negatives = linked(canon, "negatives")
    assert set(negatives) == {
        ("what is bm25", "Dune is a novel."), ("who wrote dune", "BM25 ranks documents."),
        ("what is bm25", "Paris is in France."), ("capital of france", "Berlin is big."),
        ("largest planet", "Mars is red."), ("speed of light", "Sound is slower.")}
    assert {link["rank"] for link in negatives.values()} == {1}
    assert {link["source"] for link in negatives.values()} == {"input"}


def test_repeated_query_shares_one_id(write_table) -> None:
    canon = read_dataset(write_table("triplets.jsonl", TRIPLETS))
    ids = canon.rows["query_id"].to_list()
    assert ids[0] == ids[2]
    assert len(set(ids)) == 5


@pytest.mark.parametrize("anchor", ["anchor", "query", "question", "premise"])
@pytest.mark.parametrize("positive", ["positive", "pos", "answer", "hypothesis"])
def test_column_synonyms(write_table, linked, anchor: str, positive: str) -> None:
    records = [{anchor: row["anchor"], positive: row["positive"]} for row in TRIPLETS]
    canon = read_dataset(write_table("pairs.jsonl", records), "st")
    assert canon.queries.height == 5
    assert ("who wrote dune", "Frank Herbert wrote Dune.") in linked(canon, "positives")
    assert canon.negatives.height == 0


def test_neg_is_a_synonym_of_negative(write_table, linked) -> None:
    records = [{"anchor": row["anchor"], "positive": row["positive"], "neg": row["negative"]} for row in TRIPLETS]
    canon = read_dataset(write_table("triplets.jsonl", records), "st")
    assert ("largest planet", "Mars is red.") in linked(canon, "negatives")


def test_positive_and_negative_as_lists(write_table, linked) -> None:
    records = [
        {"anchor": "q1", "positive": ["p1", "p2"], "negative": ["n1", "n2", "n3"]},
        {"anchor": "q2", "positive": ["p3"], "negative": []},
        {"anchor": "q3", "positive": ["p1"], "negative": ["n3"]},
    ]
    canon = read_dataset(write_table("lists.parquet", records))
    assert set(linked(canon, "positives")) == {("q1", "p1"), ("q1", "p2"), ("q2", "p3"), ("q3", "p1")}
    negatives = linked(canon, "negatives")
    assert {pair: link["rank"] for pair, link in negatives.items()} == {
        ("q1", "n1"): 1, ("q1", "n2"): 2, ("q1", "n3"): 3, ("q3", "n3"): 1}
    assert canon.corpus.height == 6


def test_numbered_negative_columns_keep_numeric_order(write_table, linked) -> None:
    records = [{"anchor": f"q{i}", "positive": f"p{i}", "negative_10": f"n{i}c", "negative_1": f"n{i}a",
                "negative_2": f"n{i}b"} for i in range(1, 6)]
    canon = read_dataset(write_table("ntuple.csv", records))
    negatives = linked(canon, "negatives")
    assert len(negatives) == 15
    assert negatives[("q3", "n3a")]["rank"] == 1
    assert negatives[("q3", "n3b")]["rank"] == 2
    assert negatives[("q3", "n3c")]["rank"] == 3


def test_columns_mapping_picks_the_users_columns(write_table, linked) -> None:
    records = [{"text": row["anchor"], "doc": row["positive"], "hard": row["negative"], "anchor": "decoy"}
               for row in TRIPLETS]
    canon = read_dataset(write_table("mapped.jsonl", records),
                         columns={"anchor": "text", "positive": "doc", "negative": "hard"})
    assert "decoy" not in canon.queries["text"].to_list()
    assert canon.queries.height == 5
    assert ("capital of france", "Berlin is big.") in linked(canon, "negatives")


@pytest.mark.parametrize("name", ["two.jsonl", "two.csv", "two.parquet"])
@pytest.mark.parametrize(("role", "first", "second"), [("anchor", "anchor", "query"), ("anchor", "query", "question"),
                                                       ("positive", "positive", "pos"),
                                                       ("positive", "answer", "positive"),
                                                       ("negative", "neg", "negative")])
def test_two_columns_for_one_role_must_be_chosen_between(write_table, linked, name: str, role: str, first: str,
                                                         second: str) -> None:
    records = [{key: value for key, value in row.items() if key != role}
               | {first: row[role], second: f"other {row[role]}", "title": "an extra text column"}
               for row in TRIPLETS]
    path = write_table(name, records)
    with pytest.raises(InputError, match=rf"{name}: has 2 {role} columns \(({first}|{second}), ({first}|{second})\); "
                       rf"choose one with --columns {role}=COLUMN"):
        read_dataset(path)
    for chosen in (first, second):
        canon = read_dataset(path, columns={role: chosen})
        texts = (set(canon.queries["text"]) if role == "anchor"
                 else {doc for _, doc in linked(canon, "positives" if role == "positive" else "negatives")})
        assert texts == {norm(record[chosen]) for record in records}
        assert "an extra text column" not in canon.corpus["text"].to_list(), "an unmapped column is not read"


def test_negative_and_numbered_negatives_must_be_chosen_between(write_table, linked) -> None:
    records = [row | {"negative_1": "Pluto is small.", "negative_2": "Venus is hot."} for row in TRIPLETS]
    path = write_table("both.jsonl", records)
    with pytest.raises(InputError, match=r"both\.jsonl: has negatives in 'negative' and in negative_1\.\.negative_2; "
                       r"choose with --columns negative=negative, or drop 'negative'"):
        read_dataset(path)
    chosen = linked(read_dataset(path, columns={"negative": "negative"}), "negatives")
    assert ("largest planet", "Mars is red.") in chosen and ("largest planet", "Pluto is small.") not in chosen
    numbered = linked(read_dataset(write_table("numbered.jsonl", [{k: v for k, v in row.items() if k != "negative"}
                                                                  for row in records])), "negatives")
    assert ("largest planet", "Pluto is small.") in numbered and ("largest planet", "Mars is red.") not in numbered


def test_columns_mapping_to_a_missing_column_names_it(write_table) -> None:
    path = write_table("mapped.jsonl", TRIPLETS)
    with pytest.raises(InputError, match=r"mapped\.jsonl: --columns maps positive to 'doc', which is not a column"):
        read_dataset(path, columns={"positive": "doc"})


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_columns_named_like_negatives_that_st_does_not_read_are_refused(write_table, suffix: str) -> None:
    misnamed = [{"anchor": row["anchor"], "positive": row["positive"], "negative1": row["negative"],
                 "hard_negative": "Venus is hot.", "negative_source": "bm25"} for row in TRIPLETS]
    path = write_table(f"misnamed{suffix}", misnamed)
    with pytest.raises(InputError, match=r"'negative1', 'hard_negative' look like negatives") as error:
        read_dataset(path)
    assert error.value.field == "negative1" and "--columns negative=COLUMN" in str(error.value)
    # data about the negatives is not negatives: read as before, without a word
    about = [{**row, "negative_source": "bm25", "num_negatives": "1"} for row in TRIPLETS]
    plain = read_dataset(write_table(f"plain{suffix}", TRIPLETS)).negatives
    assert read_dataset(write_table(f"about{suffix}", about)).negatives.equals(plain)


def test_a_column_named_like_negatives_is_read_where_the_negatives_are_mapped(write_table, linked) -> None:
    path = write_table("mapped_negative.jsonl", [{**row, "hard_negative": "Venus is hot."} for row in TRIPLETS])
    canon = read_dataset(path, columns={"negative": "hard_negative"})
    assert set(linked(canon, "negatives")) == {(norm(row["anchor"]), "Venus is hot.") for row in TRIPLETS}


def test_missing_anchor_column_says_what_was_looked_for(write_table) -> None:
    path = write_table("no_anchor.jsonl", [{"text": "q", "positive": "p"}])
    with pytest.raises(InputError, match=r"no_anchor\.jsonl: no anchor column: looked for anchor\|query\|question"):
        read_dataset(path)


def test_missing_column_message_lists_only_the_users_columns(write_table) -> None:
    path = write_table("no_anchor.jsonl", [{"text": "q", "positive": "p"}])
    with pytest.raises(InputError) as error:
        read_dataset(path)
    assert "['text', 'positive']" in str(error.value)


def test_explicit_st_refuses_a_label_column_it_would_not_read(write_table) -> None:
    path = write_table("qa.jsonl", [{"query": "q", "answer": "a", "label": 0}])
    with pytest.raises(InputError, match=r"qa\.jsonl, field 'label': has a 'label' column, which --format st does "
                       r"not read: .* use --format pairs for \(query, answer, label\) pairs"):
        read_dataset(path, "st")


def test_st_table_with_negatives_and_a_score_column_is_an_error(write_table) -> None:
    records = [{**row, "score": 0.7} for row in TRIPLETS]
    with pytest.raises(InputError, match=r"margins\.jsonl, field 'score': .* drop the column"):
        read_dataset(write_table("margins.jsonl", records))


def test_a_label_list_scores_the_positive_then_the_negatives(write_table, linked) -> None:
    """ST's n-tuple label for distillation, as `prep convert --scores` writes it: [positive, negative_1, ...]."""
    records = [{"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative_1": "Dune is a novel.",
                "negative_2": "Mars is red.", "label": [0.9, 0.2, 0.1]},
               {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative_1": "Mars is red.",
                "negative_2": "Paris is in France.", "label": [0.8, 0.4, 0.3]}]
    canon = read_dataset(write_table("distill.jsonl", records))
    assert {pair: row["score"] for pair, row in linked(canon, "positives").items()} == {
        ("what is bm25", "BM25 ranks documents."): 0.9, ("who wrote dune", "Frank Herbert wrote Dune."): 0.8}
    assert {pair: (row["score"], row["rank"]) for pair, row in linked(canon, "negatives").items()} == {
        ("what is bm25", "Dune is a novel."): (0.2, 1), ("what is bm25", "Mars is red."): (0.1, 2),
        ("who wrote dune", "Mars is red."): (0.4, 1), ("who wrote dune", "Paris is in France."): (0.3, 2)}
    # The whole list counts, against the positive and the negatives (it said "has 1 scores for 2 texts").
    for label, counts in (([0.8, 0.4], "2 scores for 3 texts"), ([0.8, 0.4, 0.3, 0.2], "4 scores for 3 texts"),
                          ([], "0 scores for 3 texts")):
        records[1]["label"] = label
        with pytest.raises(InputError, match=rf"distill\.jsonl, line 2, field 'label': has {counts} \(a label "
                           r"list scores the positive, then each negative\)"):
            read_dataset(write_table("distill.jsonl", records))


@pytest.mark.parametrize(("first", "second"), [("score", "label"), ("label", "labels"), ("scores", "similarity_score")])
def test_two_score_columns_must_be_chosen_between(write_table, linked, first: str, second: str) -> None:
    """ST's collator takes the first of label/labels/score/scores as the label and tokenises the other as a text;
    st read the first of its own names (score before label) and dropped the other without a word."""
    records = [{"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel.",
                first: [0.9, 0.2], second: [0.6, 0.5]},
               {"anchor": "who wrote dune", "positive": "Frank Herbert wrote Dune.", "negative": "Mars is red.",
                first: [0.8, 0.4], second: [0.7, 0.1]}]
    path = write_table("both.jsonl", records)
    with pytest.raises(InputError, match=rf"both\.jsonl: has 2 score columns \(({first}|{second}), ({first}|{second})"
                       r"\); choose one with --columns score=COLUMN"):
        read_dataset(path)
    for role in ("score", "label"):  # pairs' two names for the role
        for chosen in (first, second):
            canon = read_dataset(path, columns={role: chosen})
            scores = {pair: row["score"] for pair, row in linked(canon, "positives").items()}
            assert scores == {("what is bm25", "BM25 ranks documents."): records[0][chosen][0],
                              ("who wrote dune", "Frank Herbert wrote Dune."): records[1][chosen][0]}
            assert {row["score"] for row in linked(canon, "negatives").values()} == {
                records[0][chosen][1], records[1][chosen][1]}


def test_a_score_column_of_another_name_is_read_with_columns(write_table, linked) -> None:
    records = [{"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel.",
                "teacher": [0.9, 0.2]}]
    canon = read_dataset(write_table("teacher.jsonl", records), "st", columns={"score": "teacher"})
    assert [row["score"] for row in linked(canon, "negatives").values()] == [0.2]
    with pytest.raises(InputError, match=r"--columns maps score to 'grade', which is not a column"):
        read_dataset(write_table("teacher.jsonl", records), "st", columns={"score": "grade"})


def test_the_score_mapped_under_both_its_names_is_an_error(write_table) -> None:
    """st read the label= column and dropped score= without a word (pairs the other way round)."""
    records = [{"anchor": "what is bm25", "positive": "BM25 ranks documents.", "negative": "Dune is a novel.",
                "teacher": [0.9, 0.2], "student": [0.6, 0.5]}]
    with pytest.raises(ConfigError, match=r"--columns maps score and label, two names of one st role, to 'teacher' "
                       r"and 'student'; give one"):
        read_dataset(write_table("both.jsonl", records), "st", columns={"score": "teacher", "label": "student"})


def test_st_table_with_negatives_and_no_score_column_is_unchanged(write_table) -> None:
    path = write_table("triplets.csv", TRIPLETS)
    canon = read_dataset(path)
    assert (canon.positives.height, canon.negatives.height) == (6, 6)


# A ragged table as pandas writes it: a row short of negatives has nulls in its last (or any) negative_k columns.
RAGGED = [{"anchor": "a1", "positive": "p1", "negative_1": "n11", "negative_2": "n12", "negative_3": "n13"},
          {"anchor": "a2", "positive": "p2", "negative_1": "n21", "negative_2": None, "negative_3": "n23"},
          {"anchor": "a3", "positive": "p3", "negative_1": None, "negative_2": None, "negative_3": None}]


@pytest.mark.parametrize("name", ["ragged.jsonl", "ragged.parquet"])
def test_null_negative_columns_are_negatives_the_row_lacks(write_table, linked, name: str) -> None:
    canon = read_dataset(write_table(name, RAGGED))
    assert {pair: link["rank"] for pair, link in linked(canon, "negatives").items()} == {
        ("a1", "n11"): 1, ("a1", "n12"): 2, ("a1", "n13"): 3, ("a2", "n21"): 1, ("a2", "n23"): 2}
    assert canon.rows.height == 3, "a row whose negatives are all null is still a row"
    assert set(linked(canon, "positives")) == {("a1", "p1"), ("a2", "p2"), ("a3", "p3")}


def test_a_null_single_negative_is_a_row_without_one(write_table, linked) -> None:
    records = [{**TRIPLETS[0]}, {**TRIPLETS[1], "negative": None}]
    canon = read_dataset(write_table("triplets.jsonl", records))
    assert set(linked(canon, "negatives")) == {("what is bm25", "Dune is a novel.")}
    assert canon.rows.height == 2


def test_negatives_null_in_the_first_thousand_rows_and_lists_after(write_table, linked) -> None:
    # The first rows leave the column's type open: the whole file decides it is a list of texts.
    records = [{"anchor": f"a{i}", "positive": f"p{i}", "negative": None} for i in range(1001)]
    canon = read_dataset(write_table("late.jsonl", [*records, {"anchor": "ax", "positive": "px", "negative": ["nx"]}]))
    assert set(linked(canon, "negatives")) == {("ax", "nx")}
    assert canon.rows.height == 1002


def test_a_null_anchor_or_positive_is_still_an_error(write_table) -> None:
    with pytest.raises(InputError, match=r"ragged\.jsonl, line 2, field 'positive': is null"):
        read_dataset(write_table("ragged.jsonl", [RAGGED[0], {**RAGGED[1], "positive": None}]))


def test_a_label_list_loses_the_scores_of_null_negatives(write_table, linked) -> None:
    records = [{**RAGGED[0], "label": [0.9, 0.3, 0.2, 0.1]}, {**RAGGED[1], "label": [0.8, 0.4, None, 0.2]},
               {**RAGGED[2], "label": [0.7]}]  # one score per column, or one per text the row has
    canon = read_dataset(write_table("distill.jsonl", records))
    assert {pair: link["score"] for pair, link in linked(canon, "negatives").items() if pair[0] == "a2"} == {
        ("a2", "n21"): 0.4, ("a2", "n23"): 0.2}
    assert linked(canon, "positives")[("a3", "p3")]["score"] == 0.7


@pytest.mark.parametrize("name", ["ragged.jsonl", "ragged.parquet", "ragged.csv"])
def test_a_negative_the_row_lacks_is_counted_in_every_format(write_table, name: str) -> None:
    # JSON null, a Parquet null and a CSV empty cell (which datasets' CSV loader reads as null) say the same.
    rows = [{"anchor": "q one", "positive": "p one", "negative_1": "n one", "negative_2": "n two"},
            {"anchor": "q two", "positive": "p two", "negative_1": None, "negative_2": "n three"}]
    canon = read_dataset(write_table(name, rows))
    assert canon.missing_negatives == 1
    assert canon.empty.height == 0
    assert canon.negatives.height == 3
