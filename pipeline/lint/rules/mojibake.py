"""mojibake: UTF-8 text that was decoded as Latin-1 / cp1252 somewhere ("cafÃ©", "donâ€™t"), or U+FFFD."""

import re

from pipeline.lint.rule import WARNING, Finding, Rule
from pipeline.wording import counted

# The lead bytes of 2- and 3-byte UTF-8 sequences read as cp1252, followed by a continuation byte read the same way;
# read as Latin-1, the punctuation of U+2000..U+203F (E2 80 xx: quotes, dashes, ellipsis) is "â" then a C1 control.
MOJIBAKE = r"Ã[\x{80}-\x{bf}]|Â[\x{80}-\x{bf}]|â€|â[\x{80}-\x{9f}]|\x{fffd}"
_FIRST = re.compile(MOJIBAKE.replace("{", "").replace("}", "").replace("\\xfffd", "\\ufffd"))  # Python's syntax


class Mojibake(Rule):
    id = "mojibake"
    severity = WARNING
    description = "Texts with mis-decoded UTF-8 (Ã©, â€™) or the replacement character U+FFFD."
    fix = "Repair the encoding at the source (e.g. `ftfy.fix_text`) and re-export as UTF-8."

    def check(self, table, context) -> list[Finding]:
        flagged = table.matching(MOJIBAKE)
        if flagged.is_empty():
            return []
        texts = counted(flagged.height, "text looks", "texts look")
        return [self.found(flagged["line"], f"{texts} mis-decoded, e.g. {excerpt(flagged['text'][0])!r}")]


def excerpt(text: str, width: int = 60) -> str:
    """The part of `text` around its first mis-decoded character, not its start (a long abstract shows none)."""
    found = _FIRST.search(text)
    start = max(0, found.start() - width // 3) if found else 0
    return ("..." if start else "") + text[start:start + width]
