"""The clause/argument model: who does what to whom, clause by clause.

Every predicate of a sentence (a verb, or a copula) heads a `Clause` with its
arguments, each with a role:

- `subj`: the doer ("THE PUMP uses ATP"), also inherited: by a verb conjoined without a
  subject of its own ("the pump uses ATP and BUILDS ..."), by a purpose "to" or a "by
  ...ing" clause ("the pump uses ATP TO MOVE ions"), by a participle ("..., CREATING a
  gradient"), and by a relative clause from its antecedent ("A PUMP that does not need
  energy", "WATER going from low to high");
- `obj`: what is done or made (direct object, attribute, predicate complement);
- `agent`: the "by" phrase of a passive ("maintained BY THE PUMP");
- `patient`: the subject of a passive ("THE GRADIENT is maintained");
- `obl`: a prepositional argument, with its preposition ("runs ON ATP", "leads TO ...").

and says how it hangs on the clause above it: `cause` ("because ...", "when ...", "by
...ing"), `effect` ("so ...", ", which ...", "to ..." of purpose, ", causing ..."),
`comp` (the complement of a verb: "makes THE CHANNELS OPEN"), `shared` (a conjoined
verb with the same subject), `coord` (a conjoined clause of its own), `relative` (a
restrictive relative clause) or `plain`.

Mentions are tied to the model through `memberships`: the clause and role of the
argument a mention is, climbing from the mention's head through light nouns ("the ATP
MOLECULE"), "of"/"from" phrases ("the hydrolysis OF ATP", "energy FROM ATP"),
coordination and apposition. A mention buried deeper (a modifier of another noun: "the
Y sequence") is no argument, and so argues no link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spacy.attrs import POS, SENT_START
from spacy.symbols import ADJ, AUX, NOUN, VERB
from spacy.tokens import Doc, Span, Token

from . import lexicon
from .polarity import is_counterfactual_clause

SUBJ, OBJ, AGENT, PATIENT, OBL, PRED = "subj", "obj", "agent", "patient", "obl", "pred"
# weak places: inside a clause but no argument of it ("diffusion through OPEN CHANNELS
# changes ..." is inside the subject); they serve connectives, never a relating verb
IN, SUBJ_PART = "in", "subj_part"
WEAK = frozenset({IN, SUBJ_PART})

RELATIVIZERS = frozenset({"which", "that", "who", "whom", "whose", "what"})
_PRONOUNS = frozenset({"it", "they"})
_PREDICATE_POS = frozenset({int(VERB), int(AUX), int(ADJ), int(NOUN)})
_ARG_DEPS = {
    "nsubj": SUBJ,
    "csubj": SUBJ,
    "expl": None,
    "nsubjpass": PATIENT,
    "csubjpass": PATIENT,
    "dobj": OBJ,
    "dative": OBJ,
    "attr": OBJ,
    "oprd": OBJ,
}
_CLAUSE_DEPS = {"advcl", "relcl", "acl", "ccomp", "xcomp", "conj", "parataxis", "pcomp", "csubj"}
_MODIFIER_DEPS = {"compound", "amod", "nmod", "poss", "nummod", "npadvmod", "quantmod"}
_CLIMB_PREPS = {"of", "from"}
_NOMINAL = {"NOUN", "PROPN", "PRON", "NUM", "X", "ADJ"}


@dataclass(frozen=True)
class Arg:
    """One argument of a clause: the head token of the phrase and its role."""

    token: Token
    role: str  # subj, obj, agent, patient, obl
    prep: str | None = None  # the preposition of an oblique ("on", "to", "because")
    via: Token | None = None  # the relativizer or controller it was inherited through


@dataclass
class Clause:
    """A predicate with its arguments and its place under the clause above."""

    pred: Token
    args: list[Arg] = field(default_factory=list)
    parent: Clause | None = None
    link: str = "plain"  # cause, effect, comp, shared, coord, relative, plain
    cue: Token | None = None  # the connective that makes the link
    adjective: Token | None = None  # "is RESPONSIBLE for", "is DUE to"

    @property
    def passive(self) -> bool:
        return (
            any(a.role in {PATIENT, AGENT} for a in self.args)
            or self.pred.tag_ == "VBN"
            and any(c.dep_ == "auxpass" for c in self.pred.children)
        )

    def span(self) -> Span:
        return self.pred.doc[self.pred.left_edge.i : self.pred.right_edge.i + 1]

    def __repr__(self) -> str:  # short, for test failures
        args = ", ".join(f"{a.role}{':' + a.prep if a.prep else ''}={a.token.text}" for a in self.args)
        up = f" <-{self.link}- {self.parent.pred.text}" if self.parent else ""
        return f"Clause({self.pred.text}: {args}{up})"


@dataclass(frozen=True)
class Membership:
    """A mention's place in the model: an argument of `clause` in `role`, or the clause
    itself (`role == PRED`, the mention holds the predicate: "the channels OPEN")."""

    clause: Clause
    role: str
    token: Token  # the argument token (the climbed head)
    prep: str | None = None
    through: Token | None = None  # a relating noun climbed through ("the RESULT of ...")


class ClauseModel:
    """The clauses of one Doc, shared by every stage of the analysis. A sentence's clauses
    are built the first time a stage asks about one of its words (dependency trees never
    cross sentences), so sentences no stage needs cost nothing."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self.by_pred: dict[int, Clause] = {}
        self.args_of: dict[int, list[tuple[Clause, Arg]]] = {}
        self._sent_start: list[int] = []
        start = 0
        self._candidates: list[int] = []  # verbs, auxiliaries, adjectives: maybe predicates
        for i, (flag, pos) in enumerate(doc.to_array([SENT_START, POS]).tolist()):
            if flag == 1 or i == 0:
                start = i
            self._sent_start.append(start)
            if pos in _PREDICATE_POS:
                self._candidates.append(i)
        self._built: dict[int, list[Clause]] = {}
        self._sent_end: dict[int, int] = {}
        self._text: str | None = None
        self._members: dict[tuple[int, ...], list[Membership]] = {}
        self.cache: dict[Any, list[Membership]] = {}  # for callers: memberships by their own key

    @property
    def text(self) -> str:
        """The Doc's text, built once (Doc.text joins every token on each call)."""
        if self._text is None:
            norm = self.doc.user_data.get("grader.normalized")
            # the pipeline's tokenizer tokenized exactly the normalized text
            self._text = norm.text if norm is not None else self.doc.text
        return self._text

    def sentence_bounds(self, tok_i: int) -> tuple[int, int]:
        """(first token, one past the last) of the sentence holding token `tok_i`."""
        start = self._sent_start[tok_i]
        end = self._sent_end.get(start)
        if end is None:
            end = start
            while end < len(self._sent_start) and self._sent_start[end] == start:
                end += 1
            self._sent_end[start] = end
        return start, end

    def sentence_start(self, tok_i: int) -> int:
        """The index of the first token of the sentence holding token `tok_i`."""
        return self._sent_start[tok_i]

    def sentence_clauses(self, tok_i: int) -> list[Clause]:
        """The clauses of the sentence holding token `tok_i`, built on first use."""
        start = self._sent_start[tok_i]
        built = self._built.get(start)
        if built is not None:
            return built
        end = start
        n = len(self.doc)
        while end < n and self._sent_start[end] == start:
            end += 1
        clauses = []
        for i in self._candidates:
            if i < start or i >= end:
                continue
            tok = self.doc[i]
            if is_predicate(tok):
                clause = Clause(tok)
                self.by_pred[tok.i] = clause
                clauses.append(clause)
        for clause in clauses:
            self._own_args(clause)
        # parents before children: a child inherits from a parent that is complete
        for clause in sorted(clauses, key=lambda c: _depth(c.pred)):
            self._attach(clause)
            self._inherit(clause)
        self._resolve_pronouns(clauses)
        for clause in clauses:
            for arg in clause.args:
                self.args_of.setdefault(arg.token.i, []).append((clause, arg))
        self._built[start] = clauses
        return clauses

    # --- building -------------------------------------------------------------------

    def _own_args(self, clause: Clause) -> None:
        pred = clause.pred
        for c in pred.children:
            role = _ARG_DEPS.get(c.dep_)
            if c.dep_ == "dative" and c.pos_ == "ADP":
                self._obliques(clause, c)  # "gives energy FOR active transport"
            elif role is not None:
                if c.lower_ in RELATIVIZERS and pred.dep_ == "relcl":
                    continue  # stands for the antecedent: added when inheriting
                self._add(clause, Arg(c, role))
            elif c.dep_ == "agent":
                for p in c.children:
                    if p.dep_ == "pobj":
                        self._add(clause, Arg(p, AGENT, "by"))
            elif c.dep_ == "prep":
                self._obliques(clause, c)
            elif c.dep_ == "acomp" and c.pos_ == "ADJ":
                clause.adjective = c
                for p in c.children:
                    if p.dep_ == "prep":
                        self._obliques(clause, p)
        if not any(a.role in {SUBJ, PATIENT} for a in clause.args):
            # the small parser sometimes hangs a verb's subject on it as a compound
            # ("ATP powers the pump" read as a noun compound "ATP powers")
            for c in pred.lefts:
                nominal = c.dep_ in {"compound", "npadvmod", "nmod", "amod"} and c.pos_ in {
                    "NOUN",
                    "PROPN",
                    "ADJ",
                }
                if nominal and (c.dep_ != "amod" or pred.pos_ == "VERB"):
                    self._add(clause, Arg(c, SUBJ))  # "keeps the gradient going"

    def _obliques(self, clause: Clause, prep: Token) -> None:
        name = prep.lower_
        if name in lexicon.words("contrast_words") or name in lexicon.words("contrast_heads"):
            return  # "unlike diffusion, ...": not an argument of the claim
        for p in prep.children:
            if p.dep_ == "pobj":
                self._add(clause, Arg(p, OBL, name))
            elif p.dep_ == "pcomp" and p.pos_ == "ADP":  # "because of X", "out of X", "due to X"
                for q in p.children:
                    if q.dep_ == "pobj":
                        self._add(clause, Arg(q, OBL, name))
            elif p.dep_ == "prep":  # "from low to high": a second oblique on the first
                self._obliques(clause, p)

    def _add(self, clause: Clause, arg: Arg) -> None:
        clause.args.append(arg)
        # coordinated and apposed heads fill the same slot: "ATP and oxygen power ..."
        for c in arg.token.children:
            if c.dep_ in {"conj", "appos"} and c.pos_ in _NOMINAL and not is_predicate(c):
                self._add(clause, Arg(c, arg.role, arg.prep, arg.via))

    def _attach(self, clause: Clause) -> None:
        pred = clause.pred
        dep = pred.dep_
        up = self._clause_above(pred)
        if up is None:
            return
        clause.parent = up
        marks = [c for c in pred.children if c.dep_ in {"mark", "advmod", "cc", "prep"}]
        mark_words = {c.lower_ for c in marks}
        cause_marks, effect_marks = lexicon.words("cause_marks"), lexicon.words("effect_marks")
        # "the channels open, SO the membrane depolarizes": a result word on the clause
        # above, between the two, makes the earlier clause the cause
        doc = pred.doc
        if pred.i < up.pred.i:
            lo, hi = pred.right_edge.i, up.pred.i
        else:
            lo, hi = up.pred.i, pred.left_edge.i
        result = next(
            (
                t
                for t in doc[lo + 1 : hi + 1]
                if t.lower_ in effect_marks - {"which", "then"}
                and t.pos_ != "ADP"
                and (t.head.i in {up.pred.i, pred.i} or t.head.is_punct)
            ),
            None,
        )
        if result is not None and dep != "relcl":
            clause.link, clause.cue = ("cause" if pred.i < up.pred.i else "effect"), result
            return
        fronted = next(
            (
                c
                for c in up.pred.children
                if c.dep_ in {"mark", "advmod"} and c.lower_ in cause_marks and c.i == up.pred.left_edge.i
            ),
            None,
        )
        if fronted is not None and dep in {"ccomp", "conj", "parataxis"} and pred.i > up.pred.i:
            # "When sodium channels open the ions flow in": the parser made the "when"
            # clause the main one; what follows it is its effect
            clause.link, clause.cue = "effect", fronted
            return
        if dep in {"pcomp", "pobj"} and pred.head.lower_ == "without" and is_counterfactual_clause(up.pred):
            # "without calcium rushing in, the vesicles couldn't fuse": the dependency
            clause.link, clause.cue = "cause", pred.head
            return
        if dep == "pcomp":
            prep = pred.head
            if prep.lower_ in {"by", "after", "from", "through", "via", "because"}:
                clause.link, clause.cue = "cause", prep
            elif prep.lower_ in {"before", "to", "into", "for"}:
                clause.link, clause.cue = "effect", prep
        elif dep == "advcl":
            cue = next((c for c in marks if c.lower_ in cause_marks), None)
            effect = next((c for c in marks if c.lower_ in effect_marks or c.lower_ == "that"), None)
            to = next((c for c in pred.children if c.dep_ == "aux" and c.lower_ == "to"), None)
            if cue is not None:
                clause.link, clause.cue = "cause", cue
            elif effect is not None:
                clause.link, clause.cue = "effect", effect
            elif to is not None or "for" in mark_words:
                clause.link, clause.cue = "effect", to or next(c for c in marks if c.lower_ == "for")
            elif pred.tag_ == "VBG" and pred.i > up.pred.i:
                clause.link, clause.cue = "effect", pred  # "..., creating a gradient"
            elif pred.tag_ == "VBG":
                clause.link = "plain"  # "Using ATP, the pump ...": its subject is the pump's
            elif mark_words & {"while", "although", "though", "whereas", "unless"}:
                clause.link = "plain"
            else:
                clause.link = "cause" if pred.i < up.pred.i else "effect"
                clause.cue = marks[0] if marks else None
        elif dep in {"dobj", "oprd"}:
            clause.link = "comp"  # "keeps the gradient GOING": a verb read as the object
            self._raise_subject(clause, up)
        elif dep in {"ccomp", "xcomp"} and mark_words & (effect_marks - {"which", "then"}):
            clause.link, clause.cue = "effect", next(c for c in marks if c.lower_ in effect_marks)
        elif dep in {"ccomp", "xcomp"}:
            to = next((c for c in pred.children if c.dep_ == "aux" and c.lower_ == "to"), None)
            if (
                dep == "xcomp"
                and to is not None
                and not any(c.dep_ in {"nsubj", "nsubjpass"} for c in pred.children)
            ):
                # "uses ATP TO MOVE ions": purpose, the doer is the same
                clause.link, clause.cue = "effect", to
            else:
                clause.link = "comp"
                self._raise_subject(clause, up)
        elif dep == "relcl":
            rel = next((c for c in pred.children if c.lower_ in RELATIVIZERS), None)
            comma = pred.doc[rel.i - 1] if rel is not None and rel.i > 0 else None
            if rel is not None and rel.lower_ == "which" and comma is not None and comma.text == ",":
                clause.link, clause.cue = "effect", rel  # ", which creates a gradient"
            else:
                clause.link, clause.cue = "relative", rel
        elif dep == "acl":
            to = next((c for c in pred.children if c.dep_ == "aux" and c.lower_ == "to"), None)
            if to is not None:
                clause.link, clause.cue = "effect", to  # "enters the terminal TO TRIGGER exocytosis"
            else:
                clause.link = "relative"
        elif dep in {"conj", "parataxis"}:
            between = [
                t
                for t in pred.doc[min(up.pred.i, pred.i) + 1 : max(up.pred.i, pred.i)]
                if t.head.i in {pred.i, up.pred.i} and t.dep_ in {"cc", "advmod", "mark", "punct"}
            ]
            words = {t.lower_: t for t in (*between, *marks)}
            effect = next((t for w, t in words.items() if w in effect_marks - {"which"}), None)
            cause = next((t for w, t in words.items() if w in {"because", "since"}), None)
            own_subject = any(c.dep_ in {"nsubj", "nsubjpass", "expl", "csubj"} for c in pred.children)
            if effect is not None:
                clause.link, clause.cue = "effect", effect
            elif cause is not None:
                clause.link, clause.cue = "cause", cause
            elif any(w in lexicon.words("contrast_conjunctions") for w in words):
                clause.link = "plain"
            elif own_subject:
                subj = next(c for c in pred.children if c.dep_ in {"nsubj", "nsubjpass", "expl", "csubj"})
                if subj.lower_ in {"this", "that", "which"}:
                    clause.link, clause.cue = "effect", subj  # "..., and this makes the vesicles fuse"
                else:
                    clause.link = "coord"
            else:
                clause.link = "shared"

    def _resolve_pronouns(self, clauses: list[Clause]) -> None:
        """ "The channels don't just open, THEY let sodium in": a subject pronoun stands for
        the subject of the clause before it in the same sentence."""
        ordered = sorted(clauses, key=lambda c: c.pred.i)
        for n, clause in enumerate(ordered):
            pronoun = next(
                (a for a in clause.args if a.role in {SUBJ, PATIENT} and a.token.lower_ in _PRONOUNS), None
            )
            if pronoun is None:
                continue
            for before in reversed(ordered[:n]):
                subject = next(
                    (
                        a
                        for a in before.args
                        if a.role in {SUBJ, PATIENT}
                        and a.token.pos_ in {"NOUN", "PROPN"}
                        and a.token.i < pronoun.token.i
                    ),
                    None,
                )
                if subject is not None:
                    self._add(clause, Arg(subject.token, pronoun.role, via=pronoun.token))
                    break

    def _raise_subject(self, clause: Clause, up: Clause) -> None:
        """ "makes THE CHANNELS open", "needs ATP to work", "allows IONS to flow": the
        complement's subject is also the object of the verb above."""
        if any(a.role == OBJ for a in up.args) or clause.pred.i < up.pred.i:
            return
        for arg in list(clause.args):
            if arg.role == SUBJ and arg.token.i > up.pred.i:
                self._add(up, Arg(arg.token, OBJ, via=clause.pred))

    def _clause_above(self, tok: Token) -> Clause | None:
        cur = tok
        while cur.head.i != cur.i:
            cur = cur.head
            found = self.by_pred.get(cur.i)
            if found is not None:
                return found
        return None

    def _inherit(self, clause: Clause) -> None:
        """Arguments a clause takes from outside it: relative antecedents, shared and
        controlled subjects, the subject of a pseudo-cleft."""
        pred = clause.pred
        what = next((a for a in clause.args if a.role == SUBJ and a.token.lower_ == "what"), None)
        up = clause.parent
        if what is not None and up is not None and up.pred.lemma_ == "be":
            # "the pump is WHAT sets it up": the copula's subject does it
            for a in up.args:
                if a.role == SUBJ and a.token.i != what.token.i and a.token.lower_ != "what":
                    self._add(clause, Arg(a.token, SUBJ, via=what.token))
            return
        has_subject = any(a.role in {SUBJ, PATIENT} for a in clause.args)
        if pred.dep_ in {"relcl", "acl"} and pred.head.pos_ in _NOMINAL:
            antecedent = pred.head
            rel = next((c for c in pred.children if c.lower_ in RELATIVIZERS), None)
            if rel is not None and rel.i >= 2 and pred.doc[rel.i - 1].text == ",":
                # "A, which ..., and B, which ...": the parser may hang the second relative
                # clause on A; it belongs to the noun right before its comma
                near = pred.doc[rel.i - 2]
                if near.i != antecedent.i and near.pos_ in {"NOUN", "PROPN"} and near.dep_ == "conj":
                    antecedent = near
            if rel is not None:
                role = _ARG_DEPS.get(rel.dep_) or OBJ
                if rel.dep_ == "pobj" and rel.head.dep_ == "prep":
                    self._add(clause, Arg(antecedent, OBL, rel.head.lower_, rel))
                else:
                    self._add(clause, Arg(antecedent, role, via=rel))
                    if antecedent.dep_ == "attr" and antecedent.head.lemma_ == "be":
                        # "the pump is a protein THAT does not need energy": said of the pump
                        for c in antecedent.head.children:
                            if c.dep_ in {"nsubj", "nsubjpass"}:
                                self._add(clause, Arg(c, role, via=rel))
            elif has_subject:
                self._add(clause, Arg(antecedent, OBJ, via=pred))  # "the energy the pump uses"
            elif pred.tag_ == "VBN":
                self._add(clause, Arg(antecedent, PATIENT, via=pred))  # "ions moved by the pump"
            else:
                self._add(clause, Arg(antecedent, SUBJ, via=pred))  # "water going from ..."
            return
        if has_subject or clause.parent is None:
            return
        before = pred.doc[pred.i - 1] if pred.i > 0 else None
        if (
            pred.tag_ == "VBG"
            and before is not None
            and before.dep_ == "pobj"
            and before.pos_ in {"NOUN", "PROPN"}
            and before.head.lower_ in {"without", "by", "for", "from", "of", "after", "before"}
        ):
            # "without THE PUMP using ATP": the noun before a gerund is its subject
            self._add(clause, Arg(before, SUBJ, via=pred))
            return
        up = clause.parent
        inherits = clause.link in {"shared", "effect", "cause", "plain"} and (
            pred.dep_ in {"conj", "xcomp", "pcomp"} or pred.tag_ in {"VBG", "VB"} or pred.dep_ == "advcl"
        )
        if (
            pred.dep_ == "advcl"
            and any(c.dep_ == "mark" for c in pred.children)
            and pred.tag_
            not in {
                "VBG",
                "VB",
            }
        ):
            inherits = False  # "because moved" is too broken to guess
        if not inherits:
            return
        for arg in up.args:
            if arg.role == SUBJ or (arg.role == PATIENT and clause.link == "shared"):
                role = SUBJ if clause.link != "shared" or pred.tag_ != "VBN" else PATIENT
                if any(c.dep_ == "auxpass" for c in pred.children):
                    role = PATIENT
                self._add(clause, Arg(arg.token, role, via=up.pred))
                break

    # --- reading --------------------------------------------------------------------

    def clause_of(self, tok: Token) -> Clause | None:
        """The clause a token belongs to: its own if it is a predicate, else the nearest above."""
        self.sentence_clauses(tok.i)
        found = self.by_pred.get(tok.i)
        return found if found is not None else self._clause_above(tok)

    def memberships(self, tokens: list[Token], own: set[int]) -> list[Membership]:
        """Where a mention with head tokens `tokens` (and token indices `own`) stands."""
        key = (*(t.i for t in tokens), -1, *sorted(own))
        cached = self._members.get(key)
        if cached is None:
            cached = self._memberships(tokens, own)
            self._members[key] = cached
        return cached

    def _memberships(self, tokens: list[Token], own: set[int]) -> list[Membership]:
        if tokens:
            self.sentence_clauses(tokens[0].i)
        out: list[Membership] = []
        seen: set[tuple[int, int, str]] = set()
        for tok in tokens:
            clause = self.by_pred.get(tok.i)
            if clause is not None:
                key = (clause.pred.i, tok.i, PRED)
                if key not in seen:
                    seen.add(key)
                    out.append(Membership(clause, PRED, tok))
            if tok.dep_ == "prep" and tok.i == tokens[0].i:
                # the mention is a prepositional phrase ("from low to high"): an oblique
                up = self.by_pred.get(tok.head.i)
                if up is not None:
                    obj = next((c for c in tok.children if c.dep_ in {"pobj", "pcomp"}), tok)
                    key = (up.pred.i, obj.i, OBL)
                    if key not in seen:
                        seen.add(key)
                        out.append(Membership(up, OBL, obj, tok.lower_))
            head, through = climb(tok, own)
            places = [(head, through)] if head.i == tok.i else [(tok, None), (head, through)]
            for place, via in places:
                for clause, arg in self.args_of.get(place.i, ()):
                    key = (clause.pred.i, place.i, arg.role)
                    if key not in seen:
                        seen.add(key)
                        out.append(Membership(clause, arg.role, place, arg.prep, via))
        if tokens:
            root = tokens[0]
            clause = self.clause_of(root)
            if clause is not None and not any(m.clause is clause for m in out):
                out.append(Membership(clause, IN, root))
            # inside the subject phrase of a clause further up: "sodium rushing in through
            # OPEN CHANNELS depolarizes the membrane"
            for other in self.sentence_clauses(root.i):
                if any(m.clause is other and m.role != IN for m in out):
                    continue
                for a in other.args:
                    if (
                        a.role == SUBJ
                        and a.via is None
                        and a.token.left_edge.i <= root.i <= a.token.right_edge.i
                    ):
                        out = [m for m in out if not (m.clause is other and m.role == IN)]
                        out.append(Membership(other, SUBJ_PART, root))
                        break
        return out

    def voided_by(self, clause: Clause) -> set[int]:
        """The clauses a misconception stated in `clause` takes credit from: the clause, the
        clauses under it that carry its content on (relative, complement, purpose, result),
        and clauses spliced onto it with a bare comma. Not a "because" clause under it, not
        a clause joined with "and" or "but"."""
        out = {clause.pred.i}
        stack = [clause]
        up = clause.parent
        if (
            up is not None
            and clause.pred.dep_ == "acl"
            and clause.pred.head.dep_ == "attr"
            and up.pred.lemma_ == "be"
        ):
            # "osmosis is water GOING FROM LOW TO HIGH": the wrong description is the
            # definition the copula states
            out.add(up.pred.i)
        if (
            up is not None
            and clause.pred.i < up.pred.i
            and clause.link in {"comp", "plain", "coord"}
            and _pronoun_subject(up)
        ):
            between = clause.pred.doc[clause.pred.right_edge.i + 1 : up.pred.i]
            if any(t.text == "," for t in between) and not any(t.dep_ == "cc" for t in between):
                # "X is the same as Y, it is about -70 mV": the parser made the second
                # clause the main one; the splice carries the first one on
                out.add(up.pred.i)
                stack.append(up)
        while stack:
            cur = stack.pop()
            for other in self.sentence_clauses(cur.pred.i):
                if other.parent is cur and other.pred.i not in out:
                    if other.pred.dep_ == "conj" and any(
                        c.dep_ in {"nsubj", "nsubjpass", "expl"} and c.lower_ not in _PRONOUNS
                        for c in other.pred.children
                    ):
                        continue  # "..., and then ACh binds": a new subject, a claim of its own
                    spliced = (
                        other.link in {"coord", "plain"}
                        and _pronoun_subject(other)
                        and not any(c.dep_ == "cc" for c in other.pred.children)
                        and not any(
                            t.dep_ == "cc" and t.head.i == cur.pred.i and cur.pred.i < t.i < other.pred.i
                            for t in cur.pred.children
                        )
                    )
                    if other.link in {"effect", "comp", "relative", "shared"} or spliced:
                        out.add(other.pred.i)
                        stack.append(other)
        return out


def _pronoun_subject(clause: Clause) -> bool:
    """A spliced clause about "it"/"they"/"this" carries the one before on; one with a
    subject of its own ("..., the pump uses ATP") is a claim of its own."""
    subjects = [c for c in clause.pred.children if c.dep_ in {"nsubj", "nsubjpass", "expl"}]
    return not subjects or any(c.lower_ in _PRONOUNS | {"this", "that", "its"} for c in subjects)


def is_predicate(tok: Token) -> bool:
    if tok.pos_ == "VERB":
        return tok.dep_ not in {"amod", "compound", "aux", "auxpass", "nmod"}
    if tok.pos_ == "AUX":
        return tok.dep_ not in {"aux", "auxpass", "neg"}
    if tok.pos_ in {"ADJ", "NOUN"} and tok.dep_ in {"ccomp", "xcomp", "ROOT", "conj", "advcl"}:
        # a small clause: "makes the channels OPEN", "the inside becomes POSITIVE", and a
        # verb the parser took for a noun: "makes the vesicles FUSE"
        if tok.pos_ == "NOUN" and tok.dep_ == "ROOT":
            return False
        return any(c.dep_ in {"nsubj", "nsubjpass"} for c in tok.children)
    return False


def climb(tok: Token, own: set[int]) -> tuple[Token, Token | None]:
    """The argument head a mention's head stands for, and a relating noun passed on the way
    ("the RESULT of the pump")."""
    light = lexicon.words("light_heads")
    relating = lexicon.words("result_nouns") | lexicon.words("cause_nouns")
    through = None
    cur = tok
    for _ in range(8):
        head = cur.head
        if head.i == cur.i:
            break
        if head.i in own:
            cur = head
            continue
        if cur.dep_ in _MODIFIER_DEPS and head.lemma_.lower() in light and not is_predicate(head):
            cur = head
            continue
        if cur.dep_ == "dobj" and head.dep_ == "csubj" and head.tag_ == "VBG":
            cur = head  # "ADDING SUCROSE lowers ...": the gerund's object is what it is about
            continue
        if cur.dep_ in {"compound", "amod"} and cur.i > head.i and head.pos_ in {"NOUN", "PROPN"}:
            cur = head  # English noun phrases end in their head: "a Na+ GRADIENT" misparsed
            continue
        if (
            cur.dep_ == "pobj"
            and head.dep_ == "prep"
            and head.lower_ in _CLIMB_PREPS
            and head.head.pos_ in {"NOUN", "PROPN"}
            and not is_predicate(head.head)
        ):
            noun = head.head
            if noun.lemma_.lower() in relating:
                through = noun
                cur = noun
                continue
            if noun.lemma_.lower() in light or head.lower_ == "from" or noun.i in own:
                cur = noun
                continue
        break
    return cur, through


def _depth(tok: Token) -> int:
    n = 0
    while tok.head.i != tok.i and n < 200:
        tok = tok.head
        n += 1
    return n
