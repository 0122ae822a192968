"""Misconceptions stated as claims: who does what to whom, read from the clause model.

A rubric claim names a subject, an object and (optionally) verbs: "active transport |
does not need | ATP". It is stated when a subject mention and an object mention are
arguments of one clause whose predicate is one of the verbs (or of their class of
meaning in `lexicon/need_verbs.txt`), or the object is the complement clause of that
predicate ("the pump makes THE INSIDE POSITIVE"), with the claim's polarity. The
subject is the clause's real subject, so in "diffusion, which uses no energy, and
active transport, which requires energy" each claim binds to its own clause. "without
ATP" in a clause about the pump counts as "the pump does not need ATP" (unless it is a
counterfactual: "without ATP the pump would stop").
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.strings import StringStore
from spacy.tokens import Token

from ..rubric import Rubric
from . import lexicon
from .clauses import OBL, PRED, Clause, Membership
from .polarity import negation_of
from .relations import Relator

_IDS = StringStore()  # string ids are the same in every store: compare with a Doc's arrays


@dataclass(frozen=True)
class ClaimSpec:
    """One rubric claim, compiled: which misconception, and how it is stated."""

    misconception: str
    index: int
    verbs: frozenset[str] | None  # None: any relating verb
    negated: bool
    verb_ids: frozenset[int] | None = None  # the verbs' (and "without"'s) string ids

    @property
    def subject_owner(self) -> str:
        return f"{self.misconception}#{self.index}:s"

    @property
    def object_owner(self) -> str:
        return f"{self.misconception}#{self.index}:o"


def compile_claims(rubric: Rubric) -> list[ClaimSpec]:
    need = lexicon.words("need_verbs")
    out = []
    for m in rubric.misconceptions:
        for i, c in enumerate(m.claims):
            verbs = frozenset(v.lower() for v in c.verbs)
            if verbs & need:
                verbs |= need  # "does not need" = "does not use" = "is not powered by"
            ids = frozenset(_IDS.add(v) for v in (*verbs, "without")) if verbs else None
            out.append(ClaimSpec(m.id, i, verbs or None, c.negated, ids))
    return out


@dataclass(frozen=True)
class Stated:
    """How a claim is stated between two memberships, if it is."""

    clause: Clause
    word: Token | None  # the predicate that states it
    negated: bool
    rule: str


def stated(
    spec: ClaimSpec,
    relator: Relator,
    s: Membership,
    o: Membership,
    mentions_negated: bool,
) -> Stated | None:
    """Do the subject membership `s` and object membership `o` state the claim?"""
    if s.clause is o.clause and s.role != PRED:
        if o.role == OBL and o.prep == "without" and spec.verbs and spec.verbs & lexicon.words("need_verbs"):
            return Stated(s.clause, None, True, "claim: without")
        rel = relator.in_clause(s, o, spec.verbs)
        if rel is None or (spec.verbs is not None and rel.word is None):
            return None
        return Stated(
            s.clause, rel.word, mentions_negated or _denied(rel.word, s.clause), f"claim: {rel.rule}"
        )
    # the object is the complement clause of the subject's predicate
    if o.clause.parent is s.clause and o.clause.link == "comp" and s.role != PRED:
        word = relator.relating_word(s.clause, spec.verbs)
        if word is None:
            return None
        return Stated(
            s.clause, word, mentions_negated or _denied(word, s.clause), f"claim: verb: {word.text}"
        )
    return None


def _denied(word: Token | None, clause: Clause) -> bool:
    pred = clause.pred
    if pred.dep_ == "pcomp" and pred.head.lower_ == "without":
        return True  # "moves ions without USING energy"
    return any(t is not None and negation_of(t) is not None for t in (word, pred))
