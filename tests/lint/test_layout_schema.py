"""layout-schema: what the pandera models of the layouts find, said per column, per row or for the whole table."""

from rule_findings import one

PAIRS = [{"sentence1": "a cat", "sentence2": "a dog"}, {"sentence1": "a car", "sentence2": "a bus"},
         {"sentence1": "a sea", "sentence2": "a lake"}]


def test_a_labeled_pair_without_a_score_is_one_finding_about_the_table(lint_records) -> None:
    finding = one(lint_records(PAIRS, layout="labeled-pair"), "layout-schema")
    assert finding.message == "labeled-pair layout: the table lacks a score or label column"
    assert (finding.count, finding.rows) == (3, ())
