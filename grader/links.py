"""Did the student relate two concepts? Links argued in a sentence, across sentences, by arrows.

In a sentence, the dependency path between the two mentions' heads must pass
through a relating verb ("uses", "creates", "opens"...) or a causal marker
("because", "so", "which", "when", "by + -ing", "to" of purpose); merely
coordinated mentions ("ATP and the pump") are not related. Subject and object
sides give the direction; passive voice, "because"/"since" clauses and verbs
of need ("the pump uses ATP": ATP -> pump) flip it.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Token

from .negation import _is_counterfactual_clause

RELATING_VERBS = {
    # cause/enable
    "use", "power", "drive", "fuel", "build", "create", "establish", "maintain", "cause",
    "let", "allow", "enable", "open", "make", "keep", "produce", "result", "lead", "generate",
    "set", "form", "trigger", "stimulate", "activate", "start", "initiate", "provide",
    "supply", "give", "help", "contribute", "bring", "induce", "change", "alter", "affect",
    "depolarize", "depolarise", "hyperpolarize", "repolarize", "move", "pump", "push",
    "transport", "carry", "send", "release", "store", "restore", "reset", "determine",
    "control", "regulate", "mean", "require", "need", "consume", "burn", "spend", "hydrolyze",
    "hydrolyse", "depend", "rely", "come", "derive", "obtain", "get", "take", "harness",
    "utilize", "utilise", "cost", "run", "work", "operate", "build up", "flip", "reverse",
    "shift", "raise", "lower", "increase", "decrease", "reduce", "bind", "cross", "flow",
    "rush", "diffuse", "enter", "leave", "fire", "happen", "occur", "follow", "due",
}  # fmt: skip
# "X uses Y": Y enables X, so the object side is the cause.
REVERSE_VERBS = {
    "use", "need", "require", "consume", "burn", "spend", "hydrolyze", "hydrolyse", "depend",
    "rely", "come", "derive", "obtain", "get", "take", "harness", "utilize", "utilise", "cost",
    "follow", "receive", "absorb", "draw", "result from",
}  # fmt: skip
CAUSE_MARKS = {"because", "since", "as", "when", "whenever", "if", "once", "after", "cause"}
EFFECT_MARKS = {"so", "therefore", "thus", "hence", "consequently", "then", "which"}
MARKS = CAUSE_MARKS | EFFECT_MARKS
CAUSE_PREPS = {"by", "from", "because", "due", "through", "via", "thanks", "with"}
ON_VERBS = {"run", "depend", "rely", "operate", "work", "feed", "live", "function", "count"}
CONTRAST_WORDS = {"unlike", "instead", "rather", "except", "besides", "despite", "whereas"}
SUBJ = {"nsubj", "csubj", "expl"}
CLAUSE_EDGES = {"advcl", "relcl", "acl", "ccomp", "conj", "parataxis"}
OPENERS = {
    "so", "therefore", "thus", "hence", "consequently", "then", "this", "that", "these",
    "it", "they", "which", "because", "result", "due",
}  # fmt: skip
BACKWARD_OPENERS = {"because", "since"}


@dataclass(frozen=True)
class Relation:
    direction: int  # +1: first -> second, -1: second -> first, 0: not shown by the language
    cue: Token | None
    rule: str
    path: tuple[Token, ...]  # the words between the two mentions' heads, meeting point included
    clausal: bool = False  # the path passes from one clause into another


def relate(
    a: Token, b: Token, extra_verbs: frozenset[str] = frozenset(), own: frozenset[int] = frozenset()
) -> Relation | None:
    """How the mention headed by `a` is related to the one headed by `b`, or None.

    `own` holds the token indices of the two mentions: their own words ("open" in
    "channels open") never count as the word that relates them to each other.
    """
    if a.i == b.i:
        return None
    anc_a = [a, *a.ancestors]
    ids_b = {t.i: n for n, t in enumerate([b, *b.ancestors])}
    lca_pos = next((n for n, t in enumerate(anc_a) if t.i in ids_b), None)
    if lca_pos is None:
        return None  # different sentences: the parse never joins them
    lca = anc_a[lca_pos]
    path_a = anc_a[:lca_pos]
    path_b = [b, *b.ancestors][: ids_b[lca.i]]
    for t in path_a + path_b:
        if _is_contrast(t):
            return None
    top_a = path_a[-1] if path_a else None
    top_b = path_b[-1] if path_b else None

    # a relative clause on a noun: the noun is the relative clause's subject
    verb, role_a, role_b = lca, _role(top_a, lca, path_a[:-1]), _role(top_b, lca, path_b[:-1])
    # None: the mention is the meeting word itself; "other": it hangs below it some other way
    role_a = "other" if role_a is None and top_a is not None else role_a
    role_b = "other" if role_b is None and top_b is not None else role_b
    if lca.pos_ not in {"VERB", "AUX"}:
        for top, path, other in ((top_b, path_b, "a"), (top_a, path_a, "b")):
            if top is not None and top.dep_ in {"relcl", "acl"}:
                verb = top
                below = path[-2] if len(path) >= 2 else None
                inner = _role(below, top) if below is not None else None
                if other == "a":
                    role_a, role_b = "subj", inner
                else:
                    role_a, role_b = inner, "subj"
                break

    # "When the channels open, sodium flows in and the voltage spikes": a fronted
    # clause scopes over both conjuncts that follow it
    if role_a == "break" and role_b == "cause" and top_b is not None and top_b.i < lca.i:
        role_a = "shared"
    elif role_b == "break" and role_a == "cause" and top_a is not None and top_a.i < lca.i:
        role_b = "shared"
    if "break" in (role_a, role_b):
        return None
    cue, cue_kind = _cue(path_a[1:] + path_b[1:] + [lca], {a.i, b.i} | own, extra_verbs, (role_a, role_b))
    counterfactual = _counterfactual_side(path_a, path_b)
    if cue is None and counterfactual is None:
        return None

    # "X, so Y": a result marker on the meeting verb makes the side before it the cause
    result = next(
        (
            c
            for c in lca.children
            if c.dep_ in {"advmod", "cc", "mark"} and c.lower_ in EFFECT_MARKS - {"which"}
        ),
        None,
    )
    if result is not None and role_a not in {"cause", "effect"} and role_b not in {"cause", "effect"}:
        if top_a is not None and top_a.i < result.i < lca.i:
            role_a = "cause"
        elif top_b is not None and top_b.i < result.i < lca.i:
            role_b = "cause"
    if counterfactual is not None:
        direction = 1 if counterfactual == "a" else -1
    elif role_a == "cause" or role_b == "effect":
        direction = 1
    elif role_a == "effect" or role_b == "cause":
        direction = -1
    else:
        direction = _verb_direction(verb, role_a, role_b)
    rule = f"{cue_kind}: {cue.text}" if cue is not None else "counterfactual: without"
    clausal = any(
        t.dep_ in CLAUSE_EDGES
        and t.pos_ in {"VERB", "AUX"}
        and (t.dep_ != "conj" or any(c.dep_ in {"nsubj", "nsubjpass"} for c in t.children))
        for t in (*path_a[1:], *path_b[1:], top_a, top_b)
        if t
    )
    return Relation(direction, cue, rule, (*path_a, lca, *reversed(path_b)), clausal)


def _is_contrast(t: Token) -> bool:
    if t.lower_ in CONTRAST_WORDS:
        return True
    return t.dep_ == "pobj" and t.head.lower_ in CONTRAST_WORDS


def _role(top: Token | None, lca: Token, below: list[Token] | None = None) -> str | None:
    """The part a side plays for the word where the two paths meet."""
    if top is None:
        return None
    dep = top.dep_
    if dep == "agent":
        return "agent"
    if dep == "prep":
        low = top.lower_
        if low in CAUSE_PREPS - {"with"} or (low == "with" and lca.lemma_ in {"come"}):
            return "cause"
        if low == "on" and lca.lemma_.lower() in ON_VERBS:
            return "cause"  # "the pump runs on ATP", "depends on"
        if low == "without":
            # 'moves ions without energy' relates them; the mention itself is negated
            return "cause" if _is_counterfactual_clause(lca) else "obj"
        return "obj"
    if dep == "advcl":
        if below and any(t.dep_ == "prep" for t in below):
            return None  # "because it moves ions against the gradient": a side remark, not the cause
        marks = {c.lower_ for c in top.children if c.dep_ in {"mark", "advmod"}}
        if marks & CAUSE_MARKS:
            return "cause"
        if marks & {"so", "that"}:
            return "effect"
        if any(c.dep_ == "aux" and c.lower_ == "to" for c in top.children):
            return "effect"
        return "cause" if top.i < lca.i else "effect"
    if dep == "xcomp" and any(c.dep_ == "aux" and c.lower_ == "to" for c in top.children):
        return "effect"
    if dep == "conj":
        lo, hi = sorted((lca.i, top.i))
        marks = {
            c.lower_
            for c in [*lca.children, *top.children]
            if c.dep_ in {"cc", "advmod", "mark", "prep"} and (lo < c.i < hi or c.head.i == top.i)
        }
        if marks & EFFECT_MARKS:
            return "effect" if top.i > lca.i else "cause"
        if marks & {"because", "since"}:
            return "cause"
        if top.i > lca.i and any(
            c.dep_ in {"nsubj", "nsubjpass"} and c.lower_ in {"that", "this", "which"} for c in top.children
        ):
            return "effect"  # "..., and that makes the vesicles fuse"
        if top.pos_ in {"VERB", "AUX"} and not any(
            c.dep_ in {"nsubj", "nsubjpass", "expl"} for c in top.children
        ):
            return "shared"  # 'rushes in and depolarizes': one subject, one predicate
        return "break"
    if dep in SUBJ:
        return "subj"
    if dep in {"nsubjpass", "csubjpass"}:
        return "pass_subj"
    if dep == "relcl":
        return "effect"
    return "obj"


def _cue(
    tokens: list[Token],
    endpoints: set[int],
    extra_verbs: frozenset[str],
    roles: tuple[str | None, str | None],
) -> tuple[Token | None, str]:
    """The word that relates the two mentions: a connective, else a relating verb."""
    for t in tokens:
        for c in t.children:
            if c.lower_ in MARKS and c.dep_ in {"mark", "advmod", "cc", "prep", "nsubj"}:
                return c, "connective"
            if c.dep_ == "prep" and c.lower_ in {"by", "because", "due"} and c.i not in endpoints:
                return c, "connective"
    for t in tokens:
        if t.i in endpoints:
            continue
        lemma = t.lemma_.lower()
        if t.pos_ in {"VERB", "AUX", "ADJ"} and (lemma in RELATING_VERBS or lemma in extra_verbs):
            return t, "verb"
        if t.pos_ == "NOUN" and lemma in {"use", "result", "need", "cause"}:
            return t, "verb"
    if roles[0] in {"cause", "effect"} or roles[1] in {"cause", "effect"}:
        return tokens[-1], "connective"
    # "open channels [change the potential]": the mention's own verb relates its subject
    lca = tokens[-1]
    if (
        lca.i in endpoints
        and lca.pos_ in {"VERB", "AUX"}
        and lca.lemma_.lower() in RELATING_VERBS
        and {"subj", "agent"} & set(roles)
    ):
        return lca, "verb"
    return None, ""


def _counterfactual_side(path_a: list[Token], path_b: list[Token]) -> str | None:
    for side, path in (("a", path_a), ("b", path_b)):
        for t in path:
            if t.dep_ == "prep" and t.lower_ == "without" and _is_counterfactual_clause(t.head):
                return side
    return None


def _verb_direction(verb: Token, role_a: str | None, role_b: str | None) -> int:
    """Forward verbs: the doer is the cause. Verbs of need ("uses"): the thing needed is."""
    passive = role_a in {"pass_subj", "agent"} or role_b in {"pass_subj", "agent"}
    reverse = verb.lemma_.lower() in REVERSE_VERBS
    doer, done = ("agent", "pass_subj") if passive else ("subj", "obj")
    if role_a == doer and role_b in {done, None} or role_b == done and role_a is None:
        return -1 if reverse else 1
    if role_b == doer and role_a in {done, None} or role_a == done and role_b is None:
        return 1 if reverse else -1
    if passive and (role_a == "pass_subj" or role_b == "pass_subj"):
        # 'the gradient is maintained by ...': the subject is acted on
        return (-1 if role_a == "pass_subj" else 1) * (-1 if reverse else 1)
    return 0


# --- across sentences and arrows ----------------------------------------------------


def sentence_opener(doc: Doc, sent_start: int) -> tuple[Token, int] | None:
    """The connective or pronoun that carries the sentence on from the one before.

    Returns the opener token and the direction it gives: +1 the earlier sentence
    is the cause ("So ...", "This gradient ..."), -1 the later one ("This is because ...").
    """
    sent = doc[sent_start].sent
    words = [t for t in sent if not (t.is_punct or t.is_space)][:4]
    if not words:
        return None
    first = words[0]
    low = first.lower_
    second = words[1].lower_ if len(words) > 1 else ""
    if low in BACKWARD_OPENERS and second in {"of", "this", "that", "these", "then"}:
        return first, 1  # "Because of this, ...", "Since this happens, ...": the earlier is the cause
    if low in BACKWARD_OPENERS:
        return first, -1
    if low in {"this", "that", "it"} and any(w.lower_ in BACKWARD_OPENERS for w in words[1:4]):
        return first, -1
    if low in OPENERS or (low == "as" and len(words) > 1 and words[1].lower_ == "a"):
        return first, 1
    return None


PRONOUNS = {"it", "this", "that", "they", "these", "which"}


def pronoun_relation(opener: Token, later: Token, extra_verbs: frozenset[str]) -> Relation | None:
    """'It uses ATP': the opening pronoun stands for the earlier mention; relate it to `later`.

    Returns None when the opener is no pronoun standing alone ('This gradient' is
    a determiner), and a Relation with direction 0 and no cue when it is one but
    the sentence does not relate it to `later`.
    """
    if opener.lower_ not in PRONOUNS or opener.dep_ == "det" or opener.pos_ == "DET" and opener.dep_ == "det":
        return None
    rel = relate(opener, later, extra_verbs)
    return rel if rel is not None else Relation(0, None, "", ())


def arrow_between(doc: Doc, a_end: int, b_start: int) -> Token | None:
    """A student's arrow between two mentions ('ATP -> pump')."""
    lo, hi = (a_end, b_start) if a_end <= b_start else (b_start, a_end)
    arrow = None
    line_break = False
    for t in doc[lo:hi]:
        if t.text in {"->", "<-"}:
            arrow = arrow or t
            line_break = False  # a line that starts with an arrow continues the one before
        elif t.text in {".", "!", "?"} or line_break:
            return None  # the arrow must join them within one line of the answer
        elif "\n" in t.text_with_ws:
            line_break = True
    return None if line_break else arrow
