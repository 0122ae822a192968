"""Science notation and student list-writing unified before parsing, with a map back to the
student's own characters.

Students type ions, arrows and voltages many ways (Na+, Na⁺, Na^+, sodium; ->, →; −70 mV)
and glue list items together ("nucleus2.mRNA", "3)tRNA", "Osmosis- the movement"). The
parser sees one form; every offset still points at what the student wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import lexicon

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻₀₁₂₃₄₅₆₇₈₉₊₋", "0123456789+-0123456789+-")

_ION = r"\s?(?:\^\s?)?"  # optional space and caret before a charge
# (pattern, replacement), tried left to right in one pass; "" replacements are computed.
# Ion symbols become words: the parser knows "sodium channels open" far better than
# "Na+ channels open". Evidence still quotes the student's own text.
_REPLACEMENTS: list[tuple[str, str]] = [
    (rf"\b[Nn]a{_ION}\+?\s?/\s?[Kk]{_ION}\+?(?![A-Za-z])", "sodium/potassium"),
    (rf"\b[Nn]a{_ION}\+?\s?-\s?[Kk]{_ION}\+?(?![A-Za-z])", "sodium-potassium"),
    (rf"\b(?:Na|NA|na{_ION}\+)(?:{_ION}\+)?(?![A-Za-z0-9])", "sodium"),
    (rf"\b(?:K|k{_ION}\+)(?:{_ION}\+)?(?![A-Za-z0-9])", "potassium"),
    (rf"\b(?:Ca|CA|ca{_ION}(?:2\+|\+\+))(?:{_ION}(?:2\+|\+\+|2|\+))?(?![A-Za-z0-9])", "calcium"),
    (rf"\bCl{_ION}-?(?![A-Za-z0-9])", "chloride"),
    (r"-{1,2}>|—>|=>|[→⟶➔➜⇒]", " -> "),
    (r"<-{1,2}|←", " <- "),
    # a number glued to its unit: "-70mV", "1.5V", "0V", "20mL"
    (r"(?<=\d)(?=(?:[mM][vV]|V|mA|kPa|MPa|Pa|Hz|kJ|J|mL|ml|cm|mm|km|kg|mg|ms)\b)", " "),
    (r"\^\s?\+", "+"),
    (r"\^\s?-", "-"),
    # list items glued to the word before or after: "nucleus2.mRNA", "3)tRNA", "1.DNA"
    (r"(?<=[a-z])\.?\d{1,2}[.)](?=[A-Za-z])", ""),
    (r"(?:(?<=^)|(?<=\s))\d{1,2}[.)](?=[A-Za-z])", ""),
    # a dash glued to a term and then a space: "Osmosis- the movement of water"
    (r"(?<=[A-Za-z])-(?=\s)", " -"),
    # brackets, colons and full stops glued between words: "pump(uses ATP)", "Step 1:pump",
    # "ATP.Step 2", "a)turgid b)plasmolyzed"
    (r"(?<=[A-Za-z0-9])\((?=[A-Za-z])", " ("),
    (r"(?<=[A-Za-z])\)(?=[A-Za-z])", ") "),
    (r"(?<=\d):(?=[A-Za-z])", ": "),
    (r"(?<=[A-Za-z]{2})\.(?=[A-Z][a-z])", ". "),
    (r"(?:(?<=^)|(?<=\s))[a-hA-H]\)(?=[A-Za-z])", ""),
    # a double quote typed for an apostrophe: wasn"t, aren"t
    (r'(?<=[a-z]n)"(?=t\b)', "'"),
    (r"[\u2212\u2013\u2010\u2011]", "-"),
    (r"\u2014", " - "),
    (r"[\u2018\u2019\u02bc]", "'"),
    (r"[\u201c\u201d]", '"'),
    (r"[\u00a0\u2009\u202f]", " "),
    (r"[\u200b\u200c\u200d\ufeff]", ""),
    (r"\r\n?", "\n"),
]
_GLUED_AFTER_WORD = 11  # index of "nucleus2.mRNA" in _REPLACEMENTS
_GLUED_AT_START = 12  # "1.DNA"
_GLUED_LETTER = 18  # "a)turgid"
_FUNCTION_WORDS = lexicon.pairs("function_word_fixes")
_REPLACEMENTS.append(
    (r"(?<![\w/])(?i:" + "|".join(re.escape(w) for w in _FUNCTION_WORDS) + r")(?![\w/])", "")
)
_FUNCTION_GROUP = len(_REPLACEMENTS) - 1
_COMBINED = re.compile("|".join(f"({p})" for p, _ in _REPLACEMENTS))


@dataclass(frozen=True)
class Normalized:
    """Normalized text with a map back to the original character offsets."""

    text: str
    original: str
    starts: tuple[int, ...]  # per normalized char: start of the original piece it came from
    ends: tuple[int, ...]  # per normalized char: end of that original piece

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of the normalized range [start, end)."""
        if end <= start or start >= len(self.starts):
            o = self.starts[start] if start < len(self.starts) else len(self.original)
            return o, o
        o_start, o_end = self.starts[start], self.ends[end - 1]
        while o_end > o_start and self.original[o_end - 1].isspace():
            o_end -= 1
        while o_start < o_end and self.original[o_start].isspace():
            o_start += 1
        return o_start, o_end


def _replacement(group: int, found: str) -> str:
    if group == _FUNCTION_GROUP:
        repl = _FUNCTION_WORDS[found.lower()]
        return repl[0].upper() + repl[1:] if found[0].isupper() else repl
    if group == _GLUED_AFTER_WORD:
        return f". {found.lstrip('.')} "  # the item before ends; a new one starts
    if group in (_GLUED_AT_START, _GLUED_LETTER):
        return f"{found} "
    return _REPLACEMENTS[group][1]


def normalize(text: str) -> Normalized:
    """Unify the notations students type (Na⁺, Na^+, →, −70 mV, curly quotes, glued lists)."""
    text_t = text.translate(_SUPERSCRIPT)  # same length: a char for a char
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _COMBINED.finditer(text_t):
        out.append(text_t[pos : m.start()])
        starts.extend(range(pos, m.start()))
        ends.extend(range(pos + 1, m.start() + 1))
        group = next(i for i, g in enumerate(m.groups()) if g is not None)
        repl = _replacement(group, m.group(0))
        if repl.startswith(" ") and (m.start() == 0 or text_t[m.start() - 1].isspace()):
            repl = repl[1:]
        if repl.endswith(" ") and (m.end() == len(text_t) or text_t[m.end()].isspace()):
            repl = repl[:-1]
        out.append(repl)
        starts.extend([m.start()] * len(repl))
        ends.extend([m.end()] * len(repl))
        pos = m.end()
    out.append(text_t[pos:])
    starts.extend(range(pos, len(text_t)))
    ends.extend(range(pos + 1, len(text_t) + 1))
    return Normalized("".join(out), text, tuple(starts), tuple(ends))
