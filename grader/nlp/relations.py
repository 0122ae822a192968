"""Did the student relate two concepts, and which way round? Arguments, not paths.

A link is argued when the two mentions are

- arguments of one relating word in one clause: "THE PUMP uses ATP" (subject, object),
  "the gradient is maintained by THE PUMP" (passive agent), "the pump runs on ATP"
  (oblique), "the gradient is DUE to the pump" (predicative adjective), "the potential is
  the RESULT of the pump" (relating noun); or a causal preposition's object and the
  clause it modifies ("depolarizes BECAUSE OF the influx");
- in two clauses joined by a causal connective: "because", "when", "so", ", which",
  "by ...ing", "to" of purpose, ", causing", or a complement of a relating verb ("makes
  the channels open");
- in adjacent sentences carried on by an opener ("This gradient ...", "So ...", "It
  uses ATP"); or joined by the student's arrow ("ATP -> pump").

Listed or merely coordinated terms are never related, and a relating word that is itself
part of a rubric mention ("pump", "channels open") relates nothing: a keyword list earns
no link. Direction comes from the roles: the doer or agent is the cause; verbs of need
("uses", "runs on") make the object the cause; "because" clauses are the cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from . import lexicon
from .clauses import AGENT, IN, OBJ, OBL, PATIENT, PRED, SUBJ, SUBJ_PART, Clause, ClauseModel, Membership
from .polarity import is_counterfactual_clause

CAUSE, EFFECT = 1, 0  # how much a side is the cause in its clause
MAX_CHAIN = 3  # clauses a causal chain may pass through in one sentence


@dataclass(frozen=True)
class Relation:
    direction: int  # +1: first -> second, -1: second -> first, 0: not shown by the language
    cue: Token | None  # the word that relates them
    rule: str  # "verb: uses", "connective: because", ...
    clause: Clause | None = None  # where both are arguments (None: across clauses)
    word: Token | None = None  # the relating predicate, adjective or noun of that clause


class Relator:
    """Relates mentions of one Doc through its clause model."""

    def __init__(
        self,
        model: ClauseModel,
        blocked: frozenset[int],
        extra_verbs: frozenset[str] = frozenset(),
        covered: frozenset[int] | None = None,
    ):
        self.model = model
        self.blocked = blocked  # tokens of rubric mentions: never the relating word
        self.covered = blocked if covered is None else covered  # from a mention's first word to its last
        self.verbs = lexicon.words("relating_verbs") | extra_verbs
        self._lists: dict[int, bool] = {}
        self._edges: dict[int, dict[int, list[tuple[Clause, str, Token | None, Clause]]]] = {}

    def in_list(self, tok: Token) -> bool:
        """Is `tok` in a sentence that only lists terms ("ATP, pump, gradient, channels
        open")? Such a sentence has no word of its own outside the rubric's mentions but
        nouns and adjectives: no verb, article, preposition or connective."""
        start, end = self.model.sentence_bounds(tok.i)
        found = self._lists.get(start)
        if found is None:
            found = not any(
                t.i not in self.covered and (t.pos_ in _FUNCTION_POS or _predicates(t))
                for t in self.model.doc[start:end]
                if not (t.is_punct or t.is_space)
            )
            self._lists[start] = found
        return found

    # --- in one clause --------------------------------------------------------------

    def in_clause(self, a: Membership, b: Membership, verbs: frozenset[str] | None = None) -> Relation | None:
        """Both mentions are arguments of one clause's relating word."""
        clause = a.clause
        if clause is not b.clause or a.token.i == b.token.i or self.in_list(clause.pred):
            return None
        if (a.role, a.prep) == (b.role, b.prep):
            return None  # one slot: "ATP and the pump are both found in cells"
        for m, other, sign in ((a, b, 1), (b, a, -1)):
            if m.role == OBL and m.prep in {"because", "due", "thanks"} and other.role != OBL:
                # "the clay is farther BECAUSE OF its light weight": whatever else the clause says
                return Relation(sign, _prep_token(m), f"connective: {m.prep}", clause, None)
        if PRED in (a.role, b.role):
            return self._pred_and_cause(a, b)
        if a.role == IN or b.role == IN:
            return None
        # a mention inside the subject phrase stands for the subject ("DAMAGED bulb A creates
        # a gap"); inside an object or an oblique it does not ("... to the Y sequence")
        a, b = _as_subject(a), _as_subject(b)
        if (a.role, a.prep) == (b.role, b.prep):
            return None
        for side, other, sign in ((a, b, 1), (b, a, -1)):
            noun = side.through
            if noun is not None and noun.i not in self.blocked and other.through is None:
                # "the potential is the RESULT of the pump": the "of" side is the cause
                result = noun.lemma_.lower() in lexicon.words("result_nouns")
                return Relation(sign if result else -sign, noun, f"verb: {noun.text}", clause, noun)
        for m, sign in ((a, 1), (b, -1)):
            if m.role == OBL and m.prep == "without" and is_counterfactual_clause(clause.pred):
                # "without ATP the pump would stop": the pump depends on ATP
                return Relation(sign, _prep_token(m), "counterfactual: without", clause, None)
        word = self.relating_word(clause, verbs)
        if word is None:
            return None
        ra, rb = _rank(clause, word, a), _rank(clause, word, b)
        direction = 1 if ra > rb else -1 if rb > ra else 0
        return Relation(direction, word, f"verb: {word.text}", clause, word)

    def relating_word(self, clause: Clause, verbs: frozenset[str] | None = None) -> Token | None:
        """The clause's relating verb or adjective, unless it is part of a rubric mention."""
        pred, adj = clause.pred, clause.adjective
        allowed = self.verbs if verbs is None else verbs
        if adj is not None and adj.i not in self.blocked:
            lemma = adj.lemma_.lower()
            if verbs is None and lemma in _ADJECTIVES or lemma in allowed:
                return adj
        if pred.i in self.blocked and verbs is None:
            return None  # (a verb the rubric names for this link or claim counts all the same)
        lemma = pred.lemma_.lower()
        if lemma in allowed:
            return pred
        particle = next((c for c in pred.children if c.dep_ == "prt"), None)
        if particle is not None and f"{lemma} {particle.lower_}" in allowed:
            return pred
        return None

    def _pred_and_cause(self, a: Membership, b: Membership) -> Relation | None:
        """A mention that is a clause of its own ("the membrane depolarizes") and the cause
        named in it ("... because of the influx", "... by the influx")."""
        pred_side, arg, sign = (a, b, -1) if a.role == PRED else (b, a, 1)
        if arg.role == OBL and arg.prep == "without" and is_counterfactual_clause(pred_side.clause.pred):
            # "the membrane can't depolarize without the channels opening"
            return Relation(sign, _prep_token(arg), "counterfactual: without", arg.clause, None)
        causal = lexicon.words("cause_preps")
        if arg.role == AGENT or (arg.role == OBL and arg.prep in causal):
            return Relation(sign, _prep_token(arg), f"connective: {arg.prep or 'by'}", arg.clause, None)
        pred = pred_side.clause.pred
        if pred_side.token.i != pred.i or arg.role not in {SUBJ, SUBJ_PART, OBJ, OBL, PATIENT}:
            return None
        lemma = pred.lemma_.lower()
        if lemma not in self.verbs:
            return None
        # a mention that holds a relating verb ("open channels CHANGE the potential",
        # "the channels LET sodium flood down its gradient") relates its own arguments
        reverse = lemma in lexicon.words("reverse_verbs")
        if pred_side.clause.passive:
            cause = arg.role == OBL and arg.prep in causal
        else:
            cause = (arg.role in {SUBJ, SUBJ_PART}) != reverse
        return Relation(sign if cause else -sign, pred, f"verb: {pred.text}", arg.clause, pred)

    # --- across clauses -------------------------------------------------------------

    def across_clauses(self, a: Membership, b: Membership) -> Relation | None:
        """The two mentions sit in clauses joined by causal connectives or a relating verb's
        complement: directly, or through one clause between ("when the channels open,
        sodium rushes in, which depolarizes the membrane")."""
        if self.in_list(a.clause.pred) or self.in_list(b.clause.pred):
            return None
        for first, second, sign in ((a, b, 1), (b, a, -1)):
            hop = self._path(first, second)
            if hop is not None:
                link, cue, word = hop
                rule = (
                    f"verb: {word.text}"
                    if link == "comp" and word is not None
                    else f"connective: {_word(cue)}"
                )
                return Relation(sign, cue if cue is not None else word, rule, None, word)
        return None

    def linear(self, a: tuple[int, int], b: tuple[int, int]) -> Relation | None:
        """When the parse joins nothing: a connective standing between the two mentions in
        the words of one sentence ("..., so ...", "... because ..."). The small parser
        misreads many student sentences ("water moves" as a noun); the words still say it."""
        doc = self.model.doc
        first, second, sign = (a, b, 1) if a[0] < b[0] else (b, a, -1)
        start, end = self.model.sentence_bounds(first[0])
        if second[0] >= end:
            return None
        opener = doc[start] if not doc[start].is_punct or start + 1 >= end else doc[start + 1]
        fronted = opener.lower_ in _FRONTED
        between = self.model.text[doc[first[1] - 1].idx : doc[second[0]].idx].lower()
        sentence = self.model.text[doc[start].idx : doc[end - 1].idx + len(doc[end - 1])].lower()
        correlative = _CORRELATIVE.search(sentence)
        if correlative is not None:
            # "the tighter it is, the higher the pitch": the first half drives the second
            split = doc[start].idx + correlative.start(1)
            if doc[first[1] - 1].idx < split <= doc[second[0]].idx:
                return Relation(sign, doc[second[0]], "connective: the more ..., the more ...")
        if not fronted and not _LINEAR_WORDS & set(_WORD.findall(between)):
            return None  # no connective in the words between them: nothing to read
        if self.in_list(doc[first[0]]):
            return None
        if fronted:
            comma = next((t.i for t in doc[start:end] if t.text == ","), None)
            if comma is not None and first[1] <= comma < second[0]:
                # "When the channels open, ...": what comes before the comma is the cause
                return Relation(sign, opener, f"connective: {opener.text}")
        for t in doc[first[1] : second[0]]:
            if t.i in self.blocked or t.pos_ == "ADP" or t.dep_ == "prep":
                continue  # "because OF the gradient" names a cause of one phrase only
            if t.lower_ in _LINEAR_EFFECT and (
                t.i == 0
                or doc[t.i - 1].text in {",", ";", "and"}
                or t.dep_ in {"cc", "mark"}
                or (t.dep_ == "advmod" and t.head.i > t.i and t.i == t.head.left_edge.i)
            ):
                return Relation(sign, t, f"connective: {t.text}")
            if t.lower_ in _LINEAR_CAUSE:
                return Relation(-sign, t, f"connective: {t.text}")
        return None

    def opener_subject(self, tok: Token) -> Relation | None:
        """ "This makes the inside positive", "It uses ATP": an opening pronoun that is the
        subject of a relating verb relates the sentence before to this one."""
        clause = self.model.clause_of(tok)
        if (
            clause is None
            or self.in_list(tok)
            or not any(a.token.i == tok.i and a.role in {SUBJ, AGENT} for a in clause.args)
        ):
            return None
        word = self.relating_word(clause)
        if word is None:
            return None
        reverse = word.lemma_.lower() in lexicon.words("reverse_verbs")
        return Relation(-1 if reverse else 1, word, f"verb: {word.text}", clause, word)

    def _path(self, cause: Membership, effect: Membership) -> tuple[str, Token | None, Token | None] | None:
        """The first step of a causal path from `cause`'s clause to `effect`'s, at most
        MAX_CHAIN steps long: (link, connective, relating verb)."""
        start, goal = self._top(cause.clause), self._top(effect.clause)
        if start is goal:
            return None
        edges = self._causal_edges(start.pred.i)
        for target, link, cue, parent in edges.get(start.pred.i, ()):
            if link == "comp" and not self._comp_cause(cause, parent):
                continue
            word = self.relating_word(parent) if link == "comp" else None
            if target is goal:
                return link, cue, word
            # a chain of explicit causes in one sentence carries the first to the last
            frontier, seen = [target], {start.pred.i, target.pred.i}
            for _ in range(MAX_CHAIN - 1):
                nxt = []
                for node in frontier:
                    for target2, _link2, _cue2, _parent2 in edges.get(node.pred.i, ()):
                        if target2 is goal:
                            return link, cue, word
                        if target2.pred.i not in seen:
                            seen.add(target2.pred.i)
                            nxt.append(target2)
                frontier = nxt
        return None

    def _comp_cause(self, m: Membership, parent: Clause) -> bool:
        """The side that makes a complement happen: the subject (or, of a verb of need, the
        object) of the verb above it: "THE PUMP makes the inside negative"."""
        if m.clause is not parent:
            return True  # reached through a conjoined clause of the group
        if m.role in {SUBJ, AGENT, PRED, SUBJ_PART}:
            return True
        word = self.relating_word(parent)
        return m.role == OBJ and word is not None and word.lemma_.lower() in lexicon.words("reverse_verbs")

    def _top(self, clause: Clause) -> Clause:
        while clause.link in {"shared", "coord"} and clause.parent is not None:
            clause = clause.parent
        return clause

    def _causal_edges(self, tok_i: int) -> dict[int, list[tuple[Clause, str, Token | None, Clause]]]:
        """In the sentence of token `tok_i`: cause clause group -> (effect clause group,
        link, connective, clause above)."""
        clauses = self.model.sentence_clauses(tok_i)
        key = clauses[0].pred.i if clauses else -1
        found = self._edges.get(key)
        if found is None:
            edges: dict[int, list[tuple[Clause, str, Token | None, Clause]]] = {}
            for clause in clauses:
                up = clause.parent
                if up is None or clause.link not in {"cause", "effect", "comp"}:
                    continue
                child, parent = self._top(clause), self._top(up)
                if child is parent:
                    continue
                if clause.link == "cause":
                    edges.setdefault(child.pred.i, []).append((parent, "cause", clause.cue, up))
                elif clause.link == "effect":
                    edges.setdefault(parent.pred.i, []).append((child, "effect", clause.cue, up))
                elif self.relating_word(up) is not None:
                    edges.setdefault(parent.pred.i, []).append((child, "comp", None, up))
            self._edges[key] = found = edges
        return found


_ADJECTIVES = lexicon.words("relating_adjectives") | lexicon.words("effect_adjectives")
_FUNCTION_POS = {"DET", "ADP", "AUX", "PART", "SCONJ", "PRON"}
_LINEAR_EFFECT = lexicon.words("effect_marks") - {"which", "then"}
_LINEAR_CAUSE = frozenset({"because", "since"})
_LINEAR_WORDS = _LINEAR_EFFECT | _LINEAR_CAUSE
_FRONTED = lexicon.words("cause_marks") - {"as"}
_WORD = re.compile(r"[a-z]+")
_CORRELATIVE = re.compile(r"\bthe (?:more|less|\w+er)\b.*?,?\s(the (?:more|less|\w+er)\b)")


def _rank(clause: Clause, word: Token, m: Membership) -> int:
    """How much a side is the cause in its clause: 1 cause, 0 effect."""
    lemma = word.lemma_.lower()
    if word.pos_ == "ADJ":
        effect_adj = lemma in lexicon.words("effect_adjectives")
        if m.role in {SUBJ, PATIENT}:
            return EFFECT if effect_adj else CAUSE
        return CAUSE if effect_adj else EFFECT
    reverse = lemma in lexicon.words("reverse_verbs")
    causal_preps = lexicon.words("cause_preps")
    if m.role == OBL:
        if m.prep in causal_preps:
            return CAUSE
        if m.prep == "on" and lemma in lexicon.words("on_verbs"):
            return CAUSE
        return EFFECT
    if clause.passive:
        doer, done = AGENT, PATIENT
    else:
        doer, done = SUBJ, OBJ
    if m.role == doer:
        return EFFECT if reverse else CAUSE
    if m.role == done:
        return CAUSE if reverse else EFFECT
    return EFFECT


def _predicates(tok: Token) -> bool:
    """A verb that says something of something: it has a subject, an object or a clause of
    its own (not a bare participle in a list: "RESTING potential -70 mV")."""
    if tok.pos_ != "VERB":
        return False
    if tok.tag_ in {"VBZ", "VBP", "VBD", "MD"}:
        return True  # a finite verb
    return any(
        c.dep_ in {"nsubj", "nsubjpass", "dobj", "aux", "auxpass", "ccomp", "xcomp"} for c in tok.children
    )


def _as_subject(m: Membership) -> Membership:
    return Membership(m.clause, SUBJ, m.token, None, m.through) if m.role == SUBJ_PART else m


def _prep_token(m: Membership) -> Token | None:
    head = m.token.head
    while head.dep_ in {"pcomp", "pobj"} and head.head.i != head.i:
        head = head.head
    return head if head.pos_ in {"ADP", "SCONJ"} else m.token.head


def _word(tok: Token | None) -> str:
    return tok.text if tok is not None else "clause"


# --- across sentences and arrows ----------------------------------------------------


def sentence_opener(doc: Doc, sent_start: int, sent_end: int) -> tuple[Token, int] | None:
    """The connective or pronoun that carries the sentence on from the one before.

    Returns the opener token and the direction it gives: +1 the earlier sentence
    is the cause ("So ...", "This gradient ..."), -1 the later one ("This is because ...").
    """
    words = [t for t in doc[sent_start : min(sent_end, sent_start + 12)] if not (t.is_punct or t.is_space)][
        :4
    ]
    if not words:
        return None
    first = words[0]
    low = first.lower_
    backward = lexicon.words("backward_openers")
    second = words[1].lower_ if len(words) > 1 else ""
    if low in backward and second in {"of", "this", "that", "these", "then"}:
        return first, 1  # "Because of this, ...", "Since this happens, ...": the earlier is the cause
    if low in backward:
        return first, -1
    if low in {"this", "that", "it"} and any(w.lower_ in backward for w in words[1:4]):
        return first, -1
    if low in lexicon.words("openers") or (low == "as" and second == "a"):
        return first, 1
    return None


def is_pronoun(tok: Token) -> bool:
    """A pronoun standing alone ("It uses ATP"), not a determiner ("This gradient")."""
    return tok.lower_ in lexicon.words("pronouns") and tok.dep_ != "det"


def arrow_between(doc: Doc, a_end: int, b_start: int, text: str | None = None) -> Token | None:
    """A student's arrow between two mentions ('ATP -> pump'), within one line. `text`, the
    Doc's text when the caller has it, lets most pairs be ruled out without a token."""
    lo, hi = (a_end, b_start) if a_end <= b_start else (b_start, a_end)
    if hi <= lo:
        return None
    if text is not None:
        between = text[doc[lo].idx : doc[hi - 1].idx + len(doc[hi - 1])]
        if "->" not in between and "<-" not in between:
            return None
    arrow = None
    line_break = False
    for t in doc[lo:hi]:
        if t.text in {"->", "<-"}:
            arrow = arrow or t
            line_break = False  # a line that starts with an arrow continues the one before
        elif t.text in {".", "!", "?"} or line_break:
            return None
        elif "\n" in t.text_with_ws:
            line_break = True
    return None if line_break else arrow
