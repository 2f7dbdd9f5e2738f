"""Pick the findings of one rule out of a lint run."""

from pipeline.lint.rule import Finding


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [finding for finding in findings if finding.rule == rule]


def one(findings: list[Finding], rule: str) -> Finding:
    matching = by_rule(findings, rule)
    assert len(matching) == 1, f"expected one {rule} finding, got {findings}"
    return matching[0]
