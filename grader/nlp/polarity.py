"""Is a mention asserted? Negation scope that follows the parse, not a word window.

A `neg` child, "no", "never", a negative quantifier ("little or no", "not any", "hardly
any"), "without", "instead of", "rather than" governs its head's subtree. The walk up
from a mention stops at clause boundaries, so a negated relative clause denies only
itself ("a pump that does not need energy"); a contrasting "but" conjunct stays
affirmed ("not by diffusion but by active transport"); ", not X" denies only X
("by diffusion, not by active transport"); "unlike X, Y" negates nothing; and a
counterfactual ("without ATP the pump would stop", "if there is no ATP, the pump cannot
work") affirms the dependency instead of denying it. The word lists are in `lexicon/`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from . import lexicon

NEG_WORDS = lexicon.words("negators")
NEG_DETS = lexicon.words("negative_determiners")
NEG_QUANTIFIERS = lexicon.phrases("negative_quantifiers")
# Clauses of their own: a negation outside them does not reach in.
CLAUSE_DEPS = {"advcl", "relcl", "acl", "ccomp", "csubj", "parataxis"}
CONTRAST_CC = lexicon.words("contrast_conjunctions")
COUNTERFACTUAL_AUX = lexicon.words("counterfactual_aux")
STOP_VERBS = lexicon.words("stop_verbs")
PREVENT_VERBS = lexicon.words("prevent_verbs")
CONDITION_MARKS = lexicon.words("condition_marks")
SOFTENERS = lexicon.words("denial_softeners")
INSTEAD = lexicon.words("instead_words")
NEG_ADVERBS = lexicon.words("negative_adverbs")
CONTRAST_HEADS = lexicon.words("contrast_heads")
HYPOTHETICAL_AUX = lexicon.words("hypothetical_aux")


_WORD = re.compile(r"[a-z]+")
_TRIGGERS = (
    NEG_WORDS | NEG_DETS | INSTEAD | NEG_ADVERBS | {"without"} | lexicon.words("negative_quantifiers_first")
)
_TRIGGER_STEMS = tuple(sorted(PREVENT_VERBS | {"kept"}))


def cues_in(text: str) -> tuple[bool, bool]:
    """Can anything in `text` deny a mention, or frame one (contrast, hypothetical)? A cheap
    look at the words, so that answers with no such word skip the parse walks."""
    lower = text.lower()
    words = set(_WORD.findall(lower))
    negation = "n't" in lower or bool(words & _TRIGGERS) or any(w.startswith(_TRIGGER_STEMS) for w in words)
    framing = bool(words & (CONTRAST_HEADS | HYPOTHETICAL_AUX))
    return negation, framing


@dataclass(frozen=True)
class Polarity:
    negated: bool
    cue: Token | None = None  # the word that negates
    counterfactual: bool = False  # "without X, Y would stop": X is affirmed as needed


def polarity(tok: Token, contrasts: dict[int, Token] | None = None) -> Polarity:
    """Polarity of the mention whose head is `tok` (`contrasts`: `contrastive_nots` of its
    Doc, when the caller has it already)."""
    if contrasts is None:
        contrasts = contrastive_nots(tok.doc)
    if tok.i in contrasts:
        return Polarity(True, contrasts[tok.i])
    cur = tok
    came_from: Token | None = None
    while True:
        cue = _neg_child(cur)
        if (
            cue is not None
            and came_from is not None
            and came_from.dep_ in {"nsubj", "expl"}
            and cue.dep_ == "neg"
        ):
            # "the veins are not the same", "the pump never moves K+ out": a sentence's "not"
            # denies what is said of the subject, not the subject itself
            cue = None
        shared = (
            cue is not None and came_from is not None and came_from.dep_ == "conj" and cue.head.i == cur.i
        )
        if (
            shared
            and cue is not None
            and cue.dep_ in {"det", "amod", "quantmod", "nummod", "advmod"}
            and cue.i < cur.i
        ):
            cue = None  # "no energy, and active transport": the "no" is the first noun's only
        if cue is not None and came_from is not None and came_from.dep_ == "nsubjpass" and _has_agent(cur):
            cue = None  # "the gradient isn't made by the channels": the denial is about the "by"
        if cue is not None and cue.dep_ == "neg" and _until(cur):
            cue = None  # "the channels do not open until ...": they do open, later
        if cue is None and came_from is None and cur.pos_ in {"VERB", "AUX"}:
            cue = _denied_participant(cur)
        if cue is not None:
            verb = cur
            while verb.pos_ not in {"VERB", "AUX"} and verb.head.i != verb.i:
                verb = verb.head  # "there would be NO gradient": the frame is the verb's
            frame = _counterfactual_frame(verb)
            if frame:
                return Polarity(False, cue, counterfactual=True)
            return Polarity(True, cue)
        if cur.dep_ in {"pobj", "pcomp"} and cur.head.dep_ == "prep":
            prep = cur.head
            low = prep.lower_
            if low == "without":
                if is_counterfactual_clause(prep.head):
                    return Polarity(False, prep, counterfactual=True)
                return Polarity(True, prep)
        if (
            cur.lower_ == "from"
            and cur.dep_ == "prep"
            and cur.head.lemma_.lower() in PREVENT_VERBS
            and any(c.dep_ in {"pcomp", "pobj"} for c in cur.children)
        ):
            return Polarity(True, cur.head)
        if (
            cur.dep_ == "dobj"
            and cur.head.lemma_.lower() in {"prevent", "block", "stop", "inhibit"}
            and cur.i != tok.i
        ):
            return Polarity(True, cur.head)
        if cur.lower_ in {"of", "than"} and cur.dep_ in {"prep", "cc"}:
            alt = next((t for t in (cur.head, *cur.children) if t.lower_ in INSTEAD), None)
            if alt is not None:
                return Polarity(True, alt)
        if cur.dep_ in CLAUSE_DEPS or cur.head.i == cur.i:
            return Polarity(False)
        if cur.dep_ == "conj" and (_contrast_between(cur.head, cur) or _is_clause(cur)):
            return Polarity(False)
        came_from, cur = cur, cur.head


def negation_of(tok: Token) -> Token | None:
    """The word that negates `tok` itself, if any (a `neg` child, "no", "never", ...)."""
    return _neg_child(tok)


def _neg_child(tok: Token) -> Token | None:
    for child in tok.children:
        if child.dep_ == "neg":
            if _not_a_denial(child):
                continue
            return child
        if child.dep_ == "advmod" and child.lower_ in NEG_ADVERBS and child.i < tok.i:
            return child  # "the pump barely uses ATP"
        determiner = child.dep_ in {"det", "advmod", "preconj", "amod", "nummod"}
        if child.lower_ in NEG_DETS and determiner and not _prefixed_non(child):
            return child
        if child.lower_ in {"nothing", "none"} and child.dep_ in {"nsubj", "dobj", "attr"}:
            return child if child.i != tok.i else None
        if child.dep_ in {"amod", "det", "advmod", "quantmod", "nummod"} and child.i < tok.i:
            quantifier = _negative_quantifier(child)
            if quantifier is not None:
                return quantifier
    return None


def _has_agent(verb: Token) -> bool:
    return any(c.dep_ == "agent" for c in verb.children)


def _until(verb: Token) -> bool:
    return any(
        (c.dep_ == "advcl" and any(m.lower_ == "until" for m in c.children if m.dep_ == "mark"))
        or (c.dep_ == "prep" and c.lower_ == "until")
        for c in verb.children
    )


def _denied_participant(verb: Token) -> Token | None:
    """An event whose doer or object is denied by a quantifier: "LITTLE OR NO sodium gets
    in", "the channels let NO sodium in", "HARDLY ANY calcium enters"."""
    for c in verb.children:
        if c.dep_ not in {"nsubj", "nsubjpass", "dobj"}:
            continue
        for d in c.children:
            if d.dep_ not in {"det", "amod", "advmod", "quantmod"} or d.i > c.i:
                continue
            if d.lower_ in NEG_DETS and not _prefixed_non(d):
                return d
            found = _negative_quantifier(d)
            if found is not None:
                return found
    return None


def _prefixed_non(tok: Token) -> bool:
    """'non-zero', 'non zero': the prefix turns the denial round."""
    doc = tok.doc
    before = [doc[i].lower_ for i in range(max(0, tok.i - 2), tok.i)]
    return bool(before) and (before[-1] == "non" or before[-2:] == ["non", "-"])


_QUANTIFIER_WORDS = lexicon.words("negative_quantifiers_first") | NEG_DETS | NEG_WORDS


def _negative_quantifier(mod: Token) -> Token | None:
    """'little or no', 'hardly any', 'not any': a quantifier phrase that denies its noun."""
    if mod.lower_ not in _QUANTIFIER_WORDS and not any(c.lower_ in _QUANTIFIER_WORDS for c in mod.children):
        return None
    words = tuple(t.lower_ for t in mod.subtree)
    for phrase in NEG_QUANTIFIERS:
        n = len(phrase)
        if any(words[k : k + n] == phrase for k in range(len(words) - n + 1)):
            return next((t for t in mod.subtree if t.lower_ in NEG_WORDS | NEG_DETS), mod)
    return None


def contrastive_nots(doc: Doc) -> dict[int, Token]:
    """The phrase right after ', not' / 'and not' / 'but not', 'rather than', 'instead of':
    denied, wherever the parser hung it ("established by diffusion, not by active
    transport", "Ca2+ rather than Na+ causes ..."), up to its closing comma.
    Returns token index -> the word that denies it, for the whole Doc at once."""
    out: dict[int, Token] = {}
    for cue in doc:
        low = cue.lower_
        if cue.i == 0 or cue.i + 1 >= len(doc):
            continue
        before = doc[cue.i - 1]
        if low == "not":
            if before.text != "," and before.lower_ not in {"and", "but"}:
                continue
        elif not (
            (low == "than" and before.lower_ == "rather") or (low == "of" and before.lower_ == "instead")
        ):
            continue
        for i in phrase_after(cue):
            out.setdefault(i, cue)
    return out


def contrast_scopes(doc: Doc) -> set[int]:
    """The phrase right after "unlike", "as opposed to", "compared to" (a contrast, not a
    claim), up to its closing comma."""
    out: set[int] = set()
    for cue in doc:
        if cue.lower_ in CONTRAST_HEADS and cue.i + 1 < len(doc):
            start = cue.i + 1 if doc[cue.i + 1].lower_ not in {"to", "with"} else cue.i + 2
            if start < len(doc):
                out.update(phrase_after(doc[start - 1]))
    return out


def phrase_after(cue: Token) -> range:
    """Token indices of the phrase that follows `cue`, ending at a comma or semicolon."""
    doc = cue.doc
    nxt = doc[cue.i + 1]
    if nxt.lower_ in SOFTENERS or nxt.is_sent_start:
        return range(0)
    top = nxt
    while top.head.i != top.i and top.head.i > cue.i and top.head.pos_ not in {"VERB", "AUX"}:
        top = top.head  # the phrase, not the clause it is the subject of ("rather than sodium rushes in")
    end = top.right_edge.i + 1
    comma = next((t.i for t in doc[cue.i + 1 : end] if t.text in {",", ";"}), None)
    return range(max(top.left_edge.i, cue.i + 1), comma if comma is not None else end)


def _not_a_denial(neg: Token) -> bool:
    """'doesn't just use ATP' (not only/just/merely) adds, it does not deny; in 'uses ATP,
    not diffusion' the 'not' after a comma denies only what follows it."""
    doc = neg.doc
    nxt = doc[neg.i + 1] if neg.i + 1 < len(doc) else None
    if nxt is not None and nxt.lower_ in SOFTENERS:
        return True
    prev = doc[neg.i - 1] if neg.i > 0 else None
    return prev is not None and prev.text == "," and neg.i > neg.head.i


def _is_clause(tok: Token) -> bool:
    """A conjoined verb with its own subject is a clause of its own."""
    return tok.pos_ in {"VERB", "AUX"} and any(c.dep_ in {"nsubj", "nsubjpass", "expl"} for c in tok.children)


def _contrast_between(head: Token, conj: Token) -> bool:
    lo, hi = sorted((head.i, conj.i))
    return any(c.lower_ in CONTRAST_CC and lo < c.i < hi for c in head.children)


def is_counterfactual_clause(verb: Token) -> bool:
    """The main clause of 'without X, ...' / 'if no X, ...' states a consequence."""
    v = verb
    while v.dep_ in {"prep", "pobj", "pcomp"} and v.head.i != v.i:
        v = v.head
    if v.lemma_.lower() in STOP_VERBS:
        return True
    return any(
        c.dep_ in {"aux", "neg"} and c.lower_ in COUNTERFACTUAL_AUX | {"not", "n't", "never"}
        for c in v.children
    )


def _counterfactual_frame(tok: Token) -> bool:
    """`tok` carries a negation that belongs to a conditional: 'without ATP the pump can't
    work' (neg on the main verb) or 'if there is no ATP, the pump stops' (neg in the if)."""
    # negation on a main verb that has a 'without'/'if' condition (or on a verb conjoined
    # with one: "calcium couldn't rush in and the vesicles wouldn't fuse")
    heads = [tok, tok.head] if tok.dep_ == "conj" else [tok]
    for child in (c for h in heads for c in h.children):
        if child.dep_ == "prep" and child.lower_ == "without":
            return True
        if child.dep_ == "advcl" and any(
            m.dep_ == "mark" and m.lower_ in CONDITION_MARKS for m in child.children
        ):
            return is_counterfactual_clause(tok)
    # negation inside an 'if' clause whose main clause states a consequence
    clause = tok
    while clause.dep_ not in CLAUSE_DEPS and clause.head.i != clause.i:
        clause = clause.head
    if clause.dep_ == "advcl" and any(
        m.dep_ == "mark" and m.lower_ in {"if", "unless", "once"} for m in clause.children
    ):
        return is_counterfactual_clause(clause.head)
    return False


def frame(tok: Token, contrasts: set[int] | None = None) -> str | None:
    """'contrast' inside "unlike X ..." / "as opposed to X", 'hypothetical' in a clause
    with would/could/might (or one it carries on: "would swell until it burst"): the
    words there are not the student's own claim."""
    if contrasts is None:
        contrasts = contrast_scopes(tok.doc)
    if tok.i in contrasts:
        return "contrast"
    for anc in (tok, *tok.ancestors):
        if anc.lower_ in CONTRAST_HEADS and anc.dep_ in {"prep", "advcl", "mark", "cc", "advmod"}:
            return "contrast"
    clause = tok
    while clause.dep_ not in CLAUSE_DEPS and clause.head.i != clause.i:
        clause = clause.head
    verbs = [clause]
    if clause.dep_ == "conj" and not any(c.dep_ in {"nsubj", "nsubjpass"} for c in clause.children):
        verbs.append(clause.head)  # "would take in water and burst": the aux is shared
    if clause.dep_ in {"advcl", "ccomp", "xcomp"} and not any(
        c.lower_ in {"because", "since", "if", "when", "as"}
        for c in clause.children
        if c.dep_ in {"mark", "advmod"}
    ):
        verbs.append(clause.head)  # "would swell until it burst"
    if any(c.dep_ == "aux" and c.lower_ in HYPOTHETICAL_AUX for v in verbs for c in v.children):
        return "hypothetical"
    return None
