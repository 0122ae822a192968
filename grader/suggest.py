"""Rubric suggestions from a teacher's scored answers, each measured by re-scoring.

Two kinds, both for the teacher to judge:

- wording the rubric misses: phrases of two to four words from answers the machine
  scored below the teacher, outside any text a rubric phrase already took. Each
  candidate is tried under each concept it could stand for (one the answer lacks,
  and, when its words belong to some concepts' own words, one of those): the scored
  answers it is found in are checked again with the phrase added, and it is proposed
  only where that brings the machine closer to the teacher (QWK, then exact
  agreement), under the one concept where it helps most;
- rules that are too loose: rubric phrases behind credit in answers the machine
  scored above the teacher, and misconception phrases that fired where it scored
  below; each listed with the answers it over- or under-scored and, for a phrase,
  what dropping it would do to the agreement.

Every proposal says which line between two of the teacher's levels (0 | 1, 1 | 2, ...)
it moves answers across, so the teacher sees where it acts.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from spacy.language import Language
from spacy.tokens import Doc, Token

from .evaluate import ScoredAnswer, ScoredSet, check_scored, level_groups
from .feedback import Feedback
from .nlp.extensions import normalized_of
from .reports.numbers import plural
from .rubric import Rubric
from .trials import Change, Trial, Trials, _rule_name, can_drop

MAX_N = 4
MIN_WORDS = 2  # a single word is rarely a safe rubric phrase
MAX_HOMES = 3  # concepts tried for a phrase whose words belong to none of them
MAX_CANDIDATES = 1500  # phrase-concept pairs tried at most (the most promising first)


@dataclass
class PhraseSuggestion:
    concept: str
    phrase: str
    count: int  # scored answers the phrase is found in
    uncredited: int  # of those, answers where the concept was not credited
    qwk_before: float | None
    qwk_after: float | None
    exact_before: float
    exact_after: float
    toward: list[str]  # ids of answers whose score moves toward the teacher's
    away: list[str]  # ids of answers whose score moves away from it
    lines: dict[str, int]  # "0 | 1" -> answers moved to the teacher's side of that line
    examples: list[tuple[str, str]] = field(default_factory=list)  # (answer id, sentence)

    @property
    def qwk_gain(self) -> float:
        return (self.qwk_after or 0.0) - (self.qwk_before or 0.0)


@dataclass
class LooseRule:
    point: str  # concept id, link key or misconception id
    kind: str  # concept, link, misconception
    rule: str
    count: int  # answers it fired in where the machine scored on the wrong side of the teacher
    examples: list[tuple[str, float, float, str]] = field(default_factory=list)  # id, teacher, machine, text
    dropped_qwk: float | None = None  # agreement with the phrase dropped (None: not measured)
    dropped_exact: float | None = None
    why_not_measured: str | None = None


@dataclass
class Line:
    """One line between two neighbouring teacher levels, and the answers on its wrong side."""

    name: str  # "0 | 1"
    cut: float
    machine_higher: int
    machine_lower: int


@dataclass
class Suggestions:
    rubric: Rubric
    n: int
    qwk: float | None
    exact: float
    lines: list[Line]
    phrases: list[PhraseSuggestion]
    loose: list[LooseRule]
    qwk_all: float | None = None  # with every proposed phrase added at once
    exact_all: float | None = None
    tried: int = 0  # phrase-concept pairs measured

    def to_dict(self) -> dict[str, Any]:
        return {
            "rubric": self.rubric.id,
            "n": self.n,
            "qwk": self.qwk,
            "exact": self.exact,
            "qwk_with_all": self.qwk_all,
            "exact_with_all": self.exact_all,
            "tried": self.tried,
            "lines": [
                {"line": ln.name, "machine_higher": ln.machine_higher, "machine_lower": ln.machine_lower}
                for ln in self.lines
            ],
            "phrases": [
                {
                    "concept": s.concept,
                    "phrase": s.phrase,
                    "answers": s.count,
                    "uncredited": s.uncredited,
                    "qwk_before": s.qwk_before,
                    "qwk_after": s.qwk_after,
                    "exact_before": s.exact_before,
                    "exact_after": s.exact_after,
                    "toward": s.toward,
                    "away": s.away,
                    "lines": s.lines,
                    "examples": [{"id": i, "sentence": t} for i, t in s.examples],
                }
                for s in self.phrases
            ],
            "loose": [
                {
                    "point": r.point,
                    "kind": r.kind,
                    "rule": r.rule,
                    "answers": r.count,
                    "qwk_if_dropped": r.dropped_qwk,
                    "exact_if_dropped": r.dropped_exact,
                    "not_measured": r.why_not_measured,
                    "examples": [
                        {"id": i, "teacher": t, "machine": m, "text": x} for i, t, m, x in r.examples
                    ],
                }
                for r in self.loose
            ],
        }


# --- mining -------------------------------------------------------------------------


@dataclass
class _Gram:
    key: tuple[str, ...]  # lemmas
    surface: str
    sentence: str
    context: frozenset[str]  # content lemmas of the words it hangs on and that hang on it
    cut: bool  # it stops inside a phrase ("water dried" of "water dried up")


_CLAUSE_DEPS = {"conj", "cc", "advcl", "relcl", "ccomp", "parataxis", "acl", "xcomp", "punct"}


def _context(window: list[Token], stop: set[str]) -> frozenset[str]:
    """Who or what the n-gram is said of: the content words one step away in the parse,
    within its clause ("the WATER dried up" for "dried up")."""
    inside = {t.i for t in window}
    near: list[Token] = []
    for t in window:
        near += [c for c in t.children if c.dep_ not in _CLAUSE_DEPS]
        if t.dep_ not in _CLAUSE_DEPS and t.head.i != t.i:
            near.append(t.head)
    return frozenset(t.lemma_.lower() for t in near if t.i not in inside and _content(t, stop))


def _cut(window: list[Token]) -> bool:
    doc = window[0].doc
    nxt = window[-1].i + 1
    if nxt >= len(doc):
        return False
    after = doc[nxt]
    inside = {t.i for t in window}
    return (after.dep_ == "prt" and after.head.i in inside) or any(
        t.head.i == nxt and t.dep_ in {"compound", "amod", "nummod", "poss"} for t in window
    )


def _content(tok: Token, stop: set[str]) -> bool:
    return tok.is_alpha and len(tok.text) > 1 and tok.lower_ not in stop and tok.lemma_.lower() not in stop


def _grams(doc: Doc, covered: set[int], stop: set[str]) -> dict[tuple[str, ...], _Gram]:
    """Distinct word n-grams of an answer outside the text the rubric already matched."""
    out: dict[tuple[str, ...], _Gram] = {}
    for sent in doc.sents:
        toks = [t for t in sent if not (t.is_punct or t.is_space)]
        for i in range(len(toks)):
            for n in range(1, MAX_N + 1):
                window = toks[i : i + n]
                if len(window) < n or any(t.i in covered for t in window):
                    break
                if window[-1].i - window[0].i != n - 1:  # no punctuation inside
                    break
                first, last = window[0], window[-1]
                if n < MIN_WORDS:
                    continue
                if not _content(first, stop) and not first.like_num:
                    continue
                if not (_content(last, stop) or last.dep_ == "prt"):  # "dried up", "let in"
                    continue
                key = tuple(t.lemma_.lower() for t in window)
                if key not in out:
                    surface = doc.text[first.idx : last.idx + len(last.text)].lower()
                    out[key] = _Gram(key, surface, sent.text.strip(), _context(window, stop), _cut(window))
    return out


def _covered(fb: Feedback, doc: Doc) -> set[int]:
    """Tokens of the evidence of every concept and misconception (offsets are in the original
    answer; the Doc holds the normalized text)."""
    norm = normalized_of(doc)
    starts = norm.starts if norm is not None else tuple(range(len(doc.text)))
    spans = [(e.start, e.end) for c in fb.concepts for e in c.evidence]
    spans += [(e.start, e.end) for m in fb.misconceptions for e in m.evidence]
    return {t.i for t in doc for lo, hi in spans if t.idx < len(starts) and lo <= starts[t.idx] < hi}


def _vocabulary(texts: list[str], nlp: Language, stop: set[str]) -> set[str]:
    words: set[str] = set()
    for doc in nlp.pipe(texts, disable=[p for p in ("parser", "senter") if p in nlp.pipe_names]):
        words.update(t.lemma_.lower() for t in doc if _content(t, stop))
    return words


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _lines(teacher: Sequence[float], machine: Sequence[float]) -> list[Line]:
    groups = level_groups(teacher)
    out = []
    for lo, hi in zip(groups, groups[1:], strict=False):
        cut = (lo.hi + hi.lo) / 2
        pairs = list(zip(teacher, machine, strict=True))
        out.append(
            Line(
                f"{lo.name} | {hi.name}",
                cut,
                sum(1 for t, m in pairs if t < cut < m),
                sum(1 for t, m in pairs if m < cut < t),
            )
        )
    return out


def _crossed(lines: list[Line], teacher: float, before: float, after: float) -> list[str]:
    """The lines an answer moves to the teacher's side of."""
    return [
        ln.name
        for ln in lines
        if (before < ln.cut) != (teacher < ln.cut) and (after < ln.cut) == (teacher < ln.cut)
    ]


def suggest(
    rubric: Rubric,
    answers: Sequence[ScoredAnswer],
    feedbacks: Sequence[Feedback],
    nlp: Language,
    *,
    min_count: int = 2,
    per_concept: int = 5,
    examples: int = 2,
    docs: Sequence[Doc] | None = None,
) -> Suggestions:
    """Measured proposals for the rubric from the teacher's scored answers."""
    trials = Trials(
        rubric, nlp, [a.answer for a in answers], [a.score for a in answers], feedbacks, docs=docs
    )
    teacher, machine = trials.teacher, trials.machine
    lines = _lines(teacher, machine)
    ids = [a.id for a in answers]
    stop = set(nlp.Defaults.stop_words)
    under = [i for i in range(len(answers)) if teacher[i] > machine[i]]

    # candidates: n-grams recurring in answers the machine scored below the teacher
    grams: dict[int, dict[tuple[str, ...], _Gram]] = {
        i: _grams(trials.docs[i], _covered(feedbacks[i], trials.docs[i]), stop) for i in under
    }
    where: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, g in grams.items():
        for key in g:
            where[key].append(i)
    asked = _vocabulary([rubric.title, rubric.prompt, *(p.prompt for p in rubric.parts)], nlp, stop)
    # the question's own words only: restating it states no concept
    keys = [
        k for k, idx in where.items() if len(idx) >= min_count and {w for w in k if w not in stop} - asked
    ]
    surface = {k: Counter(grams[i][k].surface for i in where[k]).most_common(1)[0][0] for k in keys}
    vocab = {
        c.id: _vocabulary([c.label, c.name or "", c.hint or "", *c.phrases], nlp, stop)
        for c in rubric.concepts
    }
    found = dict(zip(keys, trials.found_in([surface[k] for k in keys]), strict=True))

    weak: set[tuple[tuple[str, ...], str]] = set()
    pairs: list[tuple[float, Trial, tuple[str, ...]]] = []
    for k in keys:
        context = frozenset().union(*(grams[i][k].context for i in where[k]))
        homes = _homes(k, context, where[k], feedbacks, vocab, asked, stop)
        hits = sorted(found[k])
        over_risk = sum(1 for i in hits if teacher[i] <= machine[i])
        for prior, cid, own_words in homes:
            change = Change("add", "concept", cid, surface[k])
            pairs.append((prior - 0.5 * over_risk, Trial(change, hits), k))
            if not own_words:
                weak.add((k, cid))
    pairs.sort(key=lambda p: -p[0])
    pairs = pairs[:MAX_CANDIDATES]
    trials.run([t for _, t, _ in pairs])

    best: dict[tuple[str, ...], Trial] = {}
    for _, t, k in pairs:
        n_toward = len(_toward(t, teacher, machine))
        if not t.helps or n_toward < 2 * (len(t.moved) - n_toward):
            continue  # it must be right at least twice as often as it is wrong ("dear david")
        if (k, t.change.owner) in weak and n_toward < 2:
            continue  # a phrase tied to its concept by no word of its own needs two answers
        if k not in best or t.rank() > best[k].rank():
            best[k] = t
    cut = {k: sum(grams[i][k].cut for i in where[k]) * 2 > len(where[k]) for k in best}
    chosen = _choose(list(best.items()), cut, per_concept)

    phrases = []
    for k, t in chosen:
        moved = t.moved
        toward = _toward(t, teacher, machine)
        away = [i for i in moved if abs(t.scores[i] - teacher[i]) > abs(machine[i] - teacher[i])]
        crossed: Counter[str] = Counter(
            name for i in toward for name in _crossed(lines, teacher[i], machine[i], t.scores[i])
        )
        uncredited = [i for i in t.answers if feedbacks[i].concept(t.change.owner).status != "present"]
        phrases.append(
            PhraseSuggestion(
                concept=t.change.owner,
                phrase=t.change.phrase,
                count=len(t.answers),
                uncredited=len(uncredited),
                qwk_before=trials.qwk,
                qwk_after=t.qwk,
                exact_before=trials.exact,
                exact_after=t.exact if t.exact is not None else trials.exact,
                toward=[ids[i] for i in toward],
                away=[ids[i] for i in away],
                lines=dict(crossed),
                examples=[
                    (ids[i], _short(grams[i][k].sentence if k in grams.get(i, {}) else answers[i].answer))
                    for i in toward[:examples]
                ],
            )
        )
    order = {c.id: n for n, c in enumerate(rubric.concepts)}
    phrases.sort(key=lambda s: (order[s.concept], -s.qwk_gain, -(s.exact_after - s.exact_before)))

    qwk_all = exact_all = None
    if chosen:
        qwk_all, exact_all, _ = trials.together(
            [t.change for _, t in chosen], {i for _, t in chosen for i in t.answers}
        )
    loose = _loose_rules(rubric, answers, trials, min_count, examples)
    return Suggestions(
        rubric, len(answers), trials.qwk, trials.exact, lines, phrases, loose, qwk_all, exact_all, len(pairs)
    )


def _toward(t: Trial, teacher: Sequence[float], machine: Sequence[float]) -> list[int]:
    return [i for i in t.moved if abs(t.scores[i] - teacher[i]) < abs(machine[i] - teacher[i])]


def _homes(
    key: tuple[str, ...],
    context: frozenset[str],
    found: list[int],
    feedbacks: Sequence[Feedback],
    vocab: dict[str, set[str]],
    asked: set[str],
    stop: set[str],
) -> list[tuple[float, str, bool]]:
    """The concepts a phrase may stand for, most likely first, each with whether the
    phrase has a word of its own that ties it to that concept (not a word of the
    question). When its words, or the words it is said of ("the WATER dried up"), are
    closest to some concepts' own words, only those, and only if the answers lack them
    ("sodium ions flow" is never tried as a wording of ATP); else the concepts the
    answers lack."""
    content = {w for w in key if w not in stop}
    lacking = Counter(c.id for i in found for c in feedbacks[i].concepts if c.status == "missing")
    # a word shared by many concepts, or taken from the question, says little about which
    # concept a phrase states
    spread = Counter(w for words in vocab.values() for w in words)

    def weight(w: str) -> float:
        return (0.5 if w in asked else 1.0) / spread[w]

    def fit(cid: str) -> float:
        words = vocab[cid]
        return sum(2 * weight(w) for w in content & words) + sum(weight(w) for w in context & words)

    fits = {cid: fit(cid) for cid in vocab}
    top = max(fits.values(), default=0.0)
    if top > 0:
        best = [cid for cid in vocab if fits[cid] >= top - 1e-9]
        if any(cid not in lacking for cid in best):
            return []  # as close to a concept the answers already have
        return [(lacking[cid] + top, cid, bool((content - asked) & vocab[cid])) for cid in best]
    ranked = sorted(lacking, key=lambda cid: -lacking[cid])
    return [(float(lacking[cid]), cid, False) for cid in ranked[:MAX_HOMES]]


def _choose(
    found: list[tuple[tuple[str, ...], Trial]], cut: dict[tuple[str, ...], bool], per_concept: int
) -> list[tuple[tuple[str, ...], Trial]]:
    """Best first (of equals: a whole phrase before one cut short, the shorter, the one found
    in more answers); a phrase that moves no answer the ones already chosen for its concept
    do not move adds nothing ("water dried up" after "dried up")."""
    found.sort(key=lambda kt: kt[1].change.phrase)
    found.sort(key=lambda kt: (kt[1].rank(), not cut[kt[0]], -len(kt[0]), len(kt[1].answers)), reverse=True)
    chosen: list[tuple[tuple[str, ...], Trial]] = []
    moved_by: dict[str, set[int]] = defaultdict(set)
    per: Counter[str] = Counter()
    for k, t in found:
        home = t.change.owner
        if set(t.moved) <= moved_by[home] or per[home] >= per_concept:
            continue
        chosen.append((k, t))
        moved_by[home] |= set(t.moved)
        per[home] += 1
    return chosen


def _loose_rules(
    rubric: Rubric,
    answers: Sequence[ScoredAnswer],
    trials: Trials,
    min_count: int,
    examples: int,
) -> list[LooseRule]:
    """Rules behind credit where the machine scored above the teacher, and misconception
    phrases that fired where it scored below; phrases measured by dropping them."""
    teacher, machine, feedbacks = trials.teacher, trials.machine, trials.feedbacks
    found: dict[tuple[str, str, str], dict[int, tuple[int, int]]] = defaultdict(dict)
    for i, fb in enumerate(feedbacks):
        if machine[i] > teacher[i]:
            for c in fb.concepts:
                if c.status == "present":
                    for ev in c.evidence:
                        found[("concept", c.id, _rule_name(ev.rule))].setdefault(i, (ev.start, ev.end))
            for lk in fb.links:
                if lk.status == "present" and lk.evidence:
                    ev = lk.evidence[-1]
                    span = (lk.evidence[0].start, ev.end)
                    found[("link", lk.key, _rule_name(ev.rule))].setdefault(i, span)
        elif machine[i] < teacher[i]:
            for m in fb.misconceptions:
                for ev in m.evidence:
                    found[("misconception", m.id, _rule_name(ev.rule))].setdefault(i, (ev.start, ev.end))
    rules = []
    to_try = []
    for (kind, point, rule), where in found.items():
        if len(where) < min_count:
            continue
        ex = []
        for i, (start, end) in list(where.items())[:examples]:
            text = answers[i].answer
            lo, hi = max(0, start - 60), min(len(text), end + 60)
            excerpt = ("..." if lo else "") + text[lo:hi] + ("..." if hi < len(text) else "")
            ex.append((answers[i].id, teacher[i], machine[i], _short(excerpt)))
        r = LooseRule(point, kind, rule, len(where), ex)
        phrase = rule.removeprefix("phrase: ") if rule.startswith("phrase: ") else None
        if kind == "link":
            r.why_not_measured = "a link's words; narrow it with the link's verbs: field"
        elif phrase is None:
            r.why_not_measured = "not a phrase; edit the pattern or claim by hand"
        elif not can_drop(rubric, kind, point, phrase):
            r.why_not_measured = "the only way to find it; make it more specific instead"
        else:
            owner_kind: Literal["concept", "misconception"] = (
                "concept" if kind == "concept" else "misconception"
            )
            t = Trial(Change("drop", owner_kind, point, phrase), sorted(trials.fired(kind, point, phrase)))
            to_try.append((r, t))
        rules.append(r)
    trials.run([t for _, t in to_try])
    for r, t in to_try:
        r.dropped_qwk, r.dropped_exact = t.qwk, t.exact
    gain = {id(r): (t.qwk_gain, t.exact_gain) for r, t in to_try}
    rules.sort(key=lambda r: (-(gain.get(id(r), (-9.0, -9.0))[0]), -r.count, r.point, r.rule))
    return rules


# --- output -------------------------------------------------------------------------


def _yaml_str(text: str) -> str:
    return text if re.fullmatch(r"[a-z0-9][a-z0-9 +'/\-]*[a-z0-9+]|[a-z0-9]", text) else json.dumps(text)


def _comment(text: str) -> str:
    return " ".join(str(text).split())


def _figures(qwk: float | None, exact: float | None) -> str:
    q = "-" if qwk is None else f"{qwk:.2f}"
    e = "-" if exact is None else f"{100 * exact:.0f}%"
    return f"QWK {q}, exact {e}"


def _gain(qwk0: float | None, qwk1: float | None, exact0: float, exact1: float | None) -> str:
    q = "QWK -" if qwk0 is None or qwk1 is None else f"QWK {qwk1:.2f} ({qwk1 - qwk0:+.2f})"
    e = "-" if exact1 is None else f"{100 * exact1:.0f}% ({100 * (exact1 - exact0):+.0f} points)"
    return f"{q}, exact {e}"


def _num(x: float) -> str:
    return f"{x:g}"


def to_yaml(s: Suggestions) -> str:
    """Ready-to-paste YAML: new phrases under each concept, loose rules as comments."""
    lines = [
        f"# grader rubric suggest: {s.rubric.id}, {plural(s.n, 'scored answer')}",
        f"# agreement with you now: {_figures(s.qwk, s.exact)}",
    ]
    wrong = [ln for ln in s.lines if ln.machine_higher or ln.machine_lower]
    if wrong:
        lines.append("# answers on the wrong side of a line you draw between two levels:")
        for ln in sorted(wrong, key=lambda ln: -(ln.machine_higher + ln.machine_lower)):
            lines.append(
                f"#   {ln.name}: {ln.machine_lower} scored below it by the machine, "
                f"{ln.machine_higher} above it"
            )
    lines += [
        "# Each phrase below was tried by scoring your answers again with it added; it is here",
        "# because it brings the scores closer to yours. Keep the ones that really state the",
        "# concept, add them to its phrases in the rubric, then run: grader rubric check RUBRIC",
    ]
    by_concept: dict[str, list[PhraseSuggestion]] = defaultdict(list)
    for p in s.phrases:
        by_concept[p.concept].append(p)
    if by_concept:
        lines.append(f"# with all of them added: {_figures(s.qwk_all, s.exact_all)}")
        lines.append("concepts:")
        for c in s.rubric.concepts:
            if c.id not in by_concept:
                continue
            lines.append(f"  - id: {c.id}  # {_comment(c.label)[:70]}")
            lines.append("    phrases:")
            for p in by_concept[c.id]:
                crossed = ", ".join(f"{n} across {name}" for name, n in sorted(p.lines.items()))
                lines.append(
                    f"      # with it: {_gain(p.qwk_before, p.qwk_after, p.exact_before, p.exact_after)}; "
                    f"found in {plural(p.count, 'answer')}, {len(p.toward)} move toward your score"
                    + (f" ({crossed})" if crossed else "")
                    + (f", {len(p.away)} away" if p.away else "")
                )
                for aid, sent in p.examples:
                    lines.append(f'      #   {_comment(aid)}: "{_comment(sent)}"')
                lines.append(f"      - {_yaml_str(p.phrase)}")
    else:
        lines.append("# No phrase found that would bring the scores closer to yours: none of the")
        lines.append("# wordings that recur where the machine scored below you helps when tried")
        lines.append("# (with a small file, try --min-count 1).")
    if s.loose:
        lines.append("")
        lines.append("# Rules that may be too loose: credit in answers the machine scored above you, and")
        lines.append("# misconceptions found in answers it scored below you.")
        for r in s.loose:
            where = "scored above you" if r.kind != "misconception" else "scored below you"
            if r.dropped_qwk is not None or r.dropped_exact is not None:
                effect = f"without it: {_gain(s.qwk, r.dropped_qwk, s.exact, r.dropped_exact)}"
            else:
                effect = f"not measured: {r.why_not_measured}"
            lines.append(f"#   {r.point}, {r.rule}: in {plural(r.count, 'answer')} {where}; {effect}")
            for aid, t, m, text in r.examples:
                lines.append(f'#     {_comment(aid)} (you {_num(t)}, machine {_num(m)}): "{_comment(text)}"')
    return "\n".join(lines) + "\n"


def suggest_from_file(
    rubric: Rubric, scored: ScoredSet, *, model: str | None = None, min_count: int = 2, per_concept: int = 5
) -> Suggestions:
    """Check the teacher's scored answers and measure what the rubric would gain."""
    from .checker import Checker

    checker = Checker(rubric, model=model)
    docs = list(checker.nlp.pipe(a.answer for a in scored.answers))
    feedbacks = (
        [checker.analyze(d) for d in docs] if not rubric.parts else check_scored(checker, scored.answers)
    )
    return suggest(
        rubric,
        scored.answers,
        feedbacks,
        checker.nlp,
        min_count=min_count,
        per_concept=per_concept,
        docs=docs,
    )
