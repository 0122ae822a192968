"""A starter rubric drafted from a question and a model answer, for the teacher to edit.

The model answer is read with the checker's own clause model (`nlp.clauses`): each
clause is a claim, and each claim becomes a concept:

- its label is the clause's own words;
- its phrases are the claim's key words as the matcher reads rubric phrases (on
  lemmas, so "rose" meets "rise" and "rises"; notation is unified by the pipeline):
  the doer and what it does, what is done and to what ("OJ1 ... more gas"), its key
  noun phrases ("center vein", "more gas"), a comparative or a result word alone
  ("harder", "worn away"), with numbers also written as words ("3 times", "three
  times");
- a claim made only of the question's own words restates the question: it stays a
  concept but earns nothing.

Links come from the clauses' causal structure (a clause hung on another as its cause
or its effect: "because", "so", "when", "to" of purpose; a sentence carried on by
"So ..." or "This ..."). Scoring counts key elements (the concepts that say something
the question does not), with the top score for all of them and partial credit
between. Given scored answers, examples are taken from those the draft scores as the
teacher did, and the others are listed so the teacher can see where to edit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from spacy.language import Language
from spacy.tokens import Doc, Token

from .nlp import lexicon
from .nlp.clauses import OBJ, OBL, PATIENT, SUBJ, Clause, ClauseModel
from .nlp.relations import sentence_opener
from .rubric import Rubric, parse_rubric

_LIGHT_VERBS = {"be", "have", "do", "can", "could", "will", "would", "should", "may", "might", "must", "get"}
_KEEP_WORDS = {"not", "no", "never", "more", "less", "most", "least", "only", "same", "different"}
_PARTICLE_ADVS = {
    "away", "together", "off", "out", "up", "down", "back", "apart", "in", "on", "over", "around",
}  # fmt: skip
_MODIFIER_DEPS = {"amod", "compound", "nummod", "neg", "advmod", "npadvmod", "quantmod", "poss"}
_NUMBER_WORDS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
    "7": "seven", "8": "eight", "9": "nine", "10": "ten", "11": "eleven", "12": "twelve",
}  # fmt: skip
MAX_PHRASES = 14  # per concept: enough for the usual wordings, few enough to read
MAX_EXAMPLES_PER_LEVEL = 2


@dataclass
class Claim:
    clause: Clause
    tokens: list[Token]  # its own words (not those of the clauses under it)
    key: list[Token]  # its content words
    new: set[str]  # lemmas of its content words the question does not use
    id: str = ""
    phrases: list[str] = field(default_factory=list)


@dataclass
class Draft:
    """The drafted rubric, its YAML text (with comments), and notes for the teacher."""

    rubric: Rubric
    text: str
    notes: list[str]
    agreement: dict[str, Any] | None = None


# --- reading the model answer ---------------------------------------------------------


def _content(tok: Token, stop: set[str]) -> bool:
    if tok.is_punct or tok.is_space:
        return False
    low = tok.lower_
    if low in _KEEP_WORDS or tok.dep_ == "neg":
        return False  # kept with the word they modify, never alone
    if tok.like_num:
        return True
    if tok.pos_ not in {"NOUN", "PROPN", "VERB", "ADJ", "ADV", "NUM"}:
        return False
    if tok.lemma_.lower() in _LIGHT_VERBS or tok.pos_ == "AUX":
        return False
    if tok.tag_ in {"JJR", "RBR", "JJS", "RBS"}:
        return True  # "harder", "higher", "faster"
    return low not in stop and tok.lemma_.lower() not in stop and len(low) > 1


def _own_tokens(model: ClauseModel, clause: Clause, sent: Any) -> list[Token]:
    return [t for t in sent if not t.is_punct and model.clause_of(t) is clause]


def _words(texts: Sequence[str], nlp: Language, stop: set[str]) -> set[str]:
    out: set[str] = set()
    for doc in nlp.pipe(texts, disable=[p for p in ("parser", "senter") if p in nlp.pipe_names]):
        out.update(t.lemma_.lower() for t in doc if _content(t, stop))
        out.update(t.lower_ for t in doc if _content(t, stop))
    return out


def read_claims(doc: Doc, question_words: set[str], stop: set[str]) -> tuple[list[Claim], ClauseModel]:
    """The claims of the model answer, in order: one per clause that has content words."""
    model = ClauseModel(doc)
    claims = []
    for sent in doc.sents:
        for clause in sorted(model.sentence_clauses(sent.start), key=lambda c: c.pred.i):
            tokens = _own_tokens(model, clause, sent)
            key = [t for t in tokens if _content(t, stop)]
            if not key:
                continue
            new = {t.lemma_.lower() for t in key} - question_words
            new -= {t.lower_ for t in key if t.lower_ in question_words}
            claims.append(Claim(clause, tokens, key, new))
    return claims, model


# --- phrases --------------------------------------------------------------------------


def _chunk(tok: Token, stop: set[str]) -> list[Token]:
    """The word with the modifiers right before it that change what it says ("more gas",
    "center vein", "not meet"), and a particle after a verb ("turned off", "worn away")."""
    left: list[Token] = []
    for c in tok.lefts:
        if (
            c.dep_ in _MODIFIER_DEPS
            and c.i >= tok.i - 3
            and (_content(c, stop) or c.lower_ in _KEEP_WORDS or c.dep_ == "neg")
        ):
            # with what modifies the modifier: "3 times more rope"
            left += [t for t in c.subtree if t.i >= tok.i - 4 and not t.is_punct and t.pos_ != "DET"]
    right = [
        c
        for c in tok.rights
        if (c.dep_ == "prt" or (c.dep_ == "advmod" and c.lower_ in _PARTICLE_ADVS)) and c.i <= tok.i + 2
    ]
    return sorted({t.i: t for t in [*left, tok, *right]}.values(), key=lambda t: t.i)


def _text(tokens: Sequence[Token]) -> str:
    return " ".join(t.text.lower() for t in tokens)


def _variants(text: str) -> list[str]:
    """A phrase and its notation variants: digits as words and back ("3 times", "three times")."""
    out = [text]
    words = text.split()
    swapped = [_NUMBER_WORDS.get(w, w) for w in words]
    if swapped != words:
        out.append(" ".join(swapped))
    back = {v: k for k, v in _NUMBER_WORDS.items()}
    digits = [back.get(w, w) for w in words]
    if digits != words:
        out.append(" ".join(digits))
    return out


def _word_forms(tok: Token, known: frozenset[str]) -> list[str]:
    """Other forms of a word that say the same in a student's answer, when they are English
    words: the base of a comparative ("higher" -> "high"), an adjective and its verb
    ("tight", "tighten"), a verb and its noun ("evaporate", "evaporation")."""
    lemma = tok.lemma_.lower()
    low = tok.lower_
    out = []
    if tok.tag_ in {"JJR", "RBR"}:
        base = lemma if lemma != low else re.sub(r"(.)\1?er$", r"\1", low)
        out += [base, base + "en"]
    elif tok.pos_ == "ADJ":
        out.append(lemma + "en")
    elif tok.pos_ == "VERB":
        if lemma.endswith("en") and len(lemma) > 5:
            out.append(lemma[:-2])
        out += [lemma + "ion", lemma[:-1] + "ion" if lemma.endswith("e") else lemma + "ation"]
    elif tok.pos_ == "NOUN" and lemma.endswith("ation"):
        out += [lemma[:-5] + "ate", lemma[:-5] + "e", lemma[:-5]]
    return [w for w in dict.fromkeys(out) if w != low and w in known]


def claim_phrases(claim: Claim, stop: set[str], known: frozenset[str] = frozenset()) -> list[str]:
    """Phrases for one claim, most specific first."""
    clause = claim.clause
    items: list[Token] = []  # the claim's parts in sentence order: doer, predicate, complements
    for a in clause.args:
        if a.role in {SUBJ, PATIENT, OBJ, OBL} and a.via is None and _content(a.token, stop):
            items.append(a.token)
    if _content(clause.pred, stop):
        items.append(clause.pred)
    if clause.adjective is not None and _content(clause.adjective, stop):
        items.append(clause.adjective)
    for t in claim.key:  # comparatives and result words hung elsewhere in the clause ("rose HIGHER")
        if t not in items and (t.tag_ in {"JJR", "RBR"} or t.dep_ in {"acomp", "oprd", "attr"}):
            items.append(t)
    items = sorted(set(items), key=lambda t: t.i)
    chunks = {t.i: _chunk(t, stop) for t in items}

    def is_new(t: Token) -> bool:
        return t.lemma_.lower() in claim.new or t.lower_ in claim.new

    phrases: list[str] = []
    # pairs: what is said of what ("paperclip ... harder", "OJ1 ... more gas")
    for n, first in enumerate(items):
        for second in items[n + 1 :]:
            pair = chunks[first.i] + chunks[second.i]
            if not any(is_new(t) for t in pair):
                continue
            phrases.append(f"{_text(chunks[first.i])} ... {_text(chunks[second.i])}")
    # key noun phrases and result words that say something the question does not
    for t in items:
        chunk = chunks[t.i]
        new_here = [x for x in chunk if is_new(x)]
        if not new_here:
            continue
        if len(chunk) > 1 or t.tag_ in {"JJR", "RBR"} or t.pos_ in {"ADJ", "ADV"}:
            phrases.append(_text(chunk))
        if len(chunk) > 1 and t.tag_ in {"JJR", "RBR"}:
            phrases.append(t.text.lower())
    # a number with what it counts ("3 times", "two minerals")
    doc = clause.pred.doc
    for t in claim.tokens:
        if t.like_num and t.i + 1 < len(doc) and doc[t.i + 1].pos_ in {"NOUN", "PROPN"}:
            phrases.append(f"{t.text.lower()} {doc[t.i + 1].text.lower()}")
    # each word that says something the question does not, alone, and its near forms:
    # students put it their own way ("tight", "tighten" for "tighter")
    for t in claim.key:
        if is_new(t) and len(t.text) > 2:
            for w in [t.text.lower(), *_word_forms(t, known)]:
                if w not in phrases:
                    phrases.append(w)
    out: list[str] = []
    for p in phrases:
        for v in _variants(p):
            if v not in out:
                out.append(v)
    return out[:MAX_PHRASES]


# --- the rubric -----------------------------------------------------------------------


def _slug(words: Sequence[str]) -> str:
    text = "_".join(re.sub(r"[^a-z0-9]+", "", w.lower()) for w in words)
    text = re.sub(r"_+", "_", text).strip("_")
    if not text or not text[0].isalpha():
        text = "c_" + text if text else "claim"
    return text[:40].rstrip("_")


def _claim_id(claim: Claim, taken: set[str]) -> str:
    words = [t.lemma_.lower() for t in claim.key if t.lemma_.lower() in claim.new] or [
        t.lemma_.lower() for t in claim.key
    ]
    base = _slug(words[:2])
    cid, n = base, 2
    while cid in taken:
        cid, n = f"{base}_{n}", n + 1
    taken.add(cid)
    return cid


def _label(claim: Claim) -> str:
    """The claim in its own words: its clause without the clauses under it, and without the
    connective that joins it to the next ("so", "because", "which")."""
    toks = [t for t in claim.tokens if not t.is_space]
    edge = {"cc", "mark", "punct", "advmod", "prep"}
    connective = lexicon.words("cause_marks") | lexicon.words("effect_marks") | {"and", "but", "so", "then"}
    while toks and (toks[0].is_punct or (toks[0].dep_ in edge and toks[0].lower_ in connective)):
        toks = toks[1:]
    while toks and (toks[-1].is_punct or (toks[-1].dep_ in edge and toks[-1].lower_ in connective)):
        toks = toks[:-1]
    if not toks:
        toks = claim.key
    text = "".join(
        t.text_with_ws if n + 1 < len(toks) and toks[n + 1].i == t.i + 1 else t.text + " "
        for n, t in enumerate(toks)
    ).strip()
    return text[:1].upper() + text[1:]


def _links(claims: list[Claim], model: ClauseModel, doc: Doc) -> list[tuple[str, str]]:
    """cause -> effect between claims, from how their clauses hang together."""
    by_pred = {c.clause.pred.i: c for c in claims}
    links: list[tuple[str, str]] = []

    def claim_of(clause: Clause | None) -> Claim | None:
        while clause is not None:
            if clause.pred.i in by_pred:
                return by_pred[clause.pred.i]
            if clause.link not in {"shared", "coord", "comp"}:
                return None
            clause = clause.parent
        return None

    for c in claims:
        clause = c.clause
        if clause.link in {"cause", "effect"} and clause.parent is not None:
            other = claim_of(clause.parent)
            if other is not None and other is not c:
                pair = (c.id, other.id) if clause.link == "cause" else (other.id, c.id)
                if pair not in links:
                    links.append(pair)
    sents = list(doc.sents)
    for before, after in zip(sents, sents[1:], strict=False):
        opener = sentence_opener(doc, after.start, after.end)
        if opener is None:
            continue
        first = [c for c in claims if after.start <= c.clause.pred.i < after.end]
        last = [c for c in claims if before.start <= c.clause.pred.i < before.end]
        if first and last:
            root_after = next((c for c in first if c.clause.parent is None), first[0])
            root_before = next((c for c in last if c.clause.parent is None), last[-1])
            pair = (root_before.id, root_after.id) if opener[1] > 0 else (root_after.id, root_before.id)
            if pair[0] != pair[1] and pair not in links:
                links.append(pair)
    return links


def score_table(n: int, top: int) -> dict[int, int]:
    """Key elements found -> points: the top score for about two thirds of them (a model
    answer says more than a full-credit answer needs), at least 1 for one of them, and
    the levels between in proportion."""
    if n <= 0 or top <= 0:
        return {}
    full = max(1, -(-2 * n // 3))
    out: dict[int, int] = {}
    last = 0
    for count in range(1, full + 1):
        points = min(top, max(1, round(top * count / full)))
        if points > last:
            out[count] = points
            last = points
    return out


def _known_words(nlp: Language) -> frozenset[str]:
    """English words (the lemmatizer's dictionary), so a made-up form is never proposed."""
    from .checker import _known_words as known

    return known(nlp)


def draft_data(
    question: str,
    model_answer: str,
    nlp: Language,
    *,
    rubric_id: str,
    title: str | None = None,
    max_score: int | None = None,
) -> tuple[dict[str, Any], list[Claim], list[str]]:
    """The rubric as a dict (before examples), the claims it came from, and notes."""
    stop = set(nlp.Defaults.stop_words)
    question_words = _words([question], nlp, stop)
    doc = nlp(model_answer)
    claims, model = read_claims(doc, question_words, stop)
    notes: list[str] = []
    if not claims:
        raise ValueError(
            "the model answer has no claim to build a concept from (no sentence with a noun, verb or "
            "adjective of its own); write the answer a student should give, in full sentences"
        )
    taken: set[str] = set()
    concepts = []
    for c in claims:
        c.id = _claim_id(c, taken)
        c.phrases = claim_phrases(c, stop, _known_words(nlp)) or [" ... ".join(t.lower_ for t in c.key)]
        concepts.append({"id": c.id, "label": _label(c), "phrases": c.phrases, "window": "sentence"})
    links = _links(claims, model, doc)
    key = [c.id for c in claims if c.new] or [c.id for c in claims]
    restating = [c.id for c in claims if c.id not in key]
    if restating:
        notes.append(
            "restates the question, so it earns nothing (not a key element): " + ", ".join(restating)
        )
    top = max_score if max_score is not None else len(key)
    table = score_table(len(key), top)
    title = title or _title(question)
    data: dict[str, Any] = {
        "id": rubric_id,
        "title": title,
        "prompt": " ".join(question.split()),
        "concepts": concepts,
    }
    if links:
        data["links"] = [{"from": a, "to": b} for a, b in links]
    data["scoring"] = {"key_elements": key, "table": table, "max": top}
    return data, claims, notes


def _title(question: str) -> str:
    first = re.split(r"(?<=[.?!])\s", " ".join(question.split()))
    text = next((s for s in reversed(first) if s.endswith("?")), first[-1] if first else question)
    return text if len(text) <= 80 else text[:77].rstrip() + "..."


def dump(data: dict[str, Any], header: Sequence[str], footer: Sequence[str] = ()) -> str:
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None)
    head = "".join(f"# {line}\n" if line else "#\n" for line in header)
    foot = "".join(f"# {line}\n" if line else "#\n" for line in footer)
    return head + body + ("\n" + foot if foot else "")


def validated(data: dict[str, Any]) -> Rubric:
    return parse_rubric(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), source="draft")


def examples_from_model(
    data: dict[str, Any], claims: list[Claim], checker: Any, model_answer: str
) -> list[dict]:
    """The model answer itself, and each key claim on its own, as the draft scores them."""
    key = set(data["scoring"]["key_elements"])
    texts = [(model_answer, "the model answer")]
    texts += [(_label(c) + ".", f"claim {c.id} alone") for c in claims if c.id in key and len(key) > 1]
    out = []
    for (text, note), fb in zip(texts, checker.check_many([t for t, _ in texts]), strict=True):
        out.append(
            {
                "answer": text,
                "expect": {"score": fb.score, "concepts": list(fb.credited_concepts)},
                "note": note,
            }
        )
    return out


def pick_examples(
    answers: Sequence[Any], feedbacks: Sequence[Any], per_level: int = MAX_EXAMPLES_PER_LEVEL
) -> tuple[list[dict], list[tuple[Any, Any]]]:
    """Scored answers the draft scores as the teacher did (a few per level, shortest first),
    and the ones it does not."""
    agree = [(a, fb) for a, fb in zip(answers, feedbacks, strict=True) if fb.score == a.score]
    differ = [(a, fb) for a, fb in zip(answers, feedbacks, strict=True) if fb.score != a.score]
    taken: Counter[float] = Counter()
    out = []
    for a, fb in sorted(agree, key=lambda p: (len(p[0].answer), p[0].line)):
        if taken[a.score] >= per_level or not a.answer.strip() or len(a.answer) > 600:
            continue
        taken[a.score] += 1
        out.append(
            {
                "answer": " ".join(a.answer.split()),
                "expect": {"score": a.score, "concepts": list(fb.credited_concepts)},
                "note": f"scored {a.score:g} by the teacher ({a.id})",
            }
        )
    differ.sort(key=lambda p: (-abs(p[1].score - p[0].score), p[0].line))
    return out, differ


# --- the whole draft ------------------------------------------------------------------


def draft_rubric(
    question: str,
    model_answer: str,
    nlp: Language,
    *,
    rubric_id: str,
    title: str | None = None,
    max_score: int | None = None,
    scored: Any = None,
    source: str = "",
) -> Draft:
    """Draft a rubric; with `scored` (a ScoredSet), examples from the teacher's answers."""
    from .checker import Checker
    from .evaluate import Agreement, check_scored
    from .examples import run_examples

    if max_score is None and scored is not None and scored.answers:
        max_score = max(1, int(-(-max(scored.scores) // 1)))
    data, claims, notes = draft_data(
        question, model_answer, nlp, rubric_id=rubric_id, title=title, max_score=max_score
    )
    checker = Checker(validated(data), nlp)
    examples = examples_from_model(data, claims, checker, model_answer)
    model_fb = examples[0]["expect"]
    if model_fb["score"] < data["scoring"]["max"]:
        notes.append(
            f"the draft gives the model answer {model_fb['score']:g} of {data['scoring']['max']:g}; "
            "check the phrases of the concepts it misses"
        )
    agreement: dict[str, Any] | None = None
    footer: list[str] = []
    if scored is not None and scored.answers:
        feedbacks = check_scored(checker, scored.answers)
        a = Agreement.of(scored.scores, [fb.score for fb in feedbacks])
        agreement = {"n": a.n, "qwk": a.qwk, "exact": a.exact, "adjacent": a.adjacent}
        picked, differ = pick_examples(scored.answers, feedbacks)
        examples += picked
        if differ:
            footer.append(
                f"The draft scores {len(differ)} of your {a.n} answers differently from you; the largest "
                "differences (fix the phrases, then move the answer into examples):"
            )
            for sa, fb in differ[:10]:
                text = " ".join(sa.answer.split())
                text = text if len(text) <= 150 else text[:147] + "..."
                found = ", ".join(fb.credited_concepts) or "nothing"
                footer.append(f"  {sa.id}: you {sa.score:g}, draft {fb.score:g} (credits {found}): {text}")
    data["examples"] = examples
    rubric = validated(data)
    failing = {r.index for r in run_examples(Checker(rubric, nlp)) if not r.ok}
    if failing:  # a scored answer read again inside a longer rubric file is still itself; to be safe
        data["examples"] = [ex for i, ex in enumerate(examples) if i not in failing]
        rubric = validated(data)
    header = [
        f"Drafted by grader rubric draft from the question and a model answer{source}.",
        "A starting point: read every concept's phrases, add the wordings your students use,",
        "remove the ones that are too loose, and check which concepts are key elements;",
        "then run: grader rubric check THIS_FILE (and grader evaluate / grader rubric suggest",
        "with answers you have scored).",
        f"Scoring: {len(data['scoring']['key_elements'])} key elements; scoring.table gives the points for "
        "how many are found",
        "(the top score for about two thirds of them: a model answer says more than full credit needs).",
    ]
    if agreement is not None:
        q = "-" if agreement["qwk"] is None else f"{agreement['qwk']:.2f}"
        header.append(
            f"On your {agreement['n']} scored answers this draft agrees with you: QWK {q}, "
            f"exact {100 * agreement['exact']:.0f}%, adjacent {100 * agreement['adjacent']:.0f}%."
        )
    header += [f"Note: {n}" for n in notes]
    return Draft(rubric, dump(data, header, footer), notes, agreement)
