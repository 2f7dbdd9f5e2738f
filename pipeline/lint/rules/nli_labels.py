"""nli-labels: (premise, hypothesis, label) with NLI classes, which pair readers take as relevance scores."""

from pipeline.lint.layouts import st_inputs
from pipeline.lint.losses import CLASS
from pipeline.lint.rule import ERROR, Finding, Rule
from pipeline.readers.class_labels import classes_read_as_scores
from pipeline.readers.pairs import NLI_FIX, nli_classes


class NliLabels(Rule):
    id = "nli-labels"
    severity = ERROR
    description = ("NLI classes (0 entailment, 1 neutral, 2 contradiction) read as scores: a contradiction would be "
                   "a positive, and entailment a negative.")
    fix = f"Keep the classes for a class loss: {NLI_FIX}."
    layouts = frozenset({"labeled-pair"})

    def applies(self, table, context) -> bool:
        # SoftmaxLoss and CrossEntropyLoss read the classes as they are.
        return super().applies(table, context) and (context.loss is None or
                                                    all(form.label != CLASS for form in context.loss.forms))

    def check(self, table, context) -> list[Finding]:
        inputs, label = st_inputs(table.source.schema)
        if label is None or len(inputs) < 2:
            return []
        found = nli_classes(inputs[0], inputs[1], table.frame[label])
        if found:
            return [self.found([], found, count=table.rows)]
        # a ClassLabel whose 0 is a match (RTE's entailment), as `datasets` describes the column
        described = classes_read_as_scores(label, table.source.classes.get(label))
        return [self.found([], described[0], count=table.rows, fix=described[1])] if described else []
