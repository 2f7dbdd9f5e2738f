"""control-characters: C0/C1 control characters, zero-width characters or a byte-order mark inside texts."""

from pipeline.lint.rule import WARNING, Finding, Rule
from pipeline.normalize import INVISIBLE
from pipeline.wording import counted

# Tab, newline and carriage return are ordinary whitespace; the rest are invisible and tokenise to [UNK] or noise.
# Zero width (non-)joiners are left alone, as normalisation leaves them: Persian, Indic scripts and emoji need them.
CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{200e}\x{200f}\x{2028}\x{2029}]|" + INVISIBLE


class ControlCharacters(Rule):
    id = "control-characters"
    severity = WARNING
    description = "Invisible control, zero-width or byte-order-mark characters inside texts."
    fix = ("Strip them before training (`text.translate(...)`) or re-export as clean UTF-8: `prep run` / `prep "
           "convert` write texts as given; they only match texts that differ by U+200B, U+2060, U+00AD or U+FEFF "
           "(zero width space, word joiner, soft hyphen, byte-order mark) as one.")

    def check(self, table, context) -> list[Finding]:
        flagged = table.matching(CONTROL)
        if flagged.is_empty():
            return []
        texts = counted(flagged.height, "text holds", "texts hold")
        return [self.found(flagged["line"], f"{texts} control or zero-width characters")]
