"""Rubric suggestions mined from a teacher's scored answers.

Two kinds of hint, both for the teacher to judge:

- phrasings the rubric is missing: word n-grams frequent in answers the
  teacher scored high but where the checker did not credit a concept, and
  rare in answers scored low; each goes under the concept it most likely
  belongs to, with example sentences;
- phrases behind credit in answers the teacher scored low, where the machine
  scored higher than the teacher: a phrase or rule that may be too loose.

Text already taken by a rubric phrase (any concept's evidence) is not mined,
so a suggestion is always wording the rubric does not cover yet.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Token

from .evaluate import HIGH_FRACTION, LOW_FRACTION, ScoredAnswer, ScoredSet, check_scored
from .feedback import Feedback
from .nlp import normalize
from .reports.numbers import plural
from .rubric import Rubric

MAX_N = 4
AFFINITY_WEIGHT = 1.0  # for the share of its words found in the concept's label, phrases or hint
MIN_WORDS = 2  # a single word is rarely a safe rubric phrase
MIN_LIFT = 0.15  # of the maximum score: how much more the teacher gave where the wording appears


@dataclass
class PhraseSuggestion:
    concept: str
    phrase: str
    count: int  # answers that use the phrase
    uncredited: int  # of those, answers where the concept was not credited
    lift: float  # how many points more the teacher gave than the machine, there, beyond the usual gap
    low_count: int  # answers the teacher scored low that use the phrase
    low_n: int
    examples: list[tuple[str, str]] = field(default_factory=list)  # (answer id, sentence)
    also: list[str] = field(default_factory=list)  # other concepts it may belong to, as likely


@dataclass
class LooseRule:
    point: str  # concept id or link key
    rule: str
    low_count: int  # low-scored answers the machine over-scored where this rule gave credit
    low_n: int
    high_count: int
    high_n: int
    examples: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Suggestions:
    rubric: Rubric
    n: int
    high_from: float
    low_to: float
    high_n: int
    low_n: int
    phrases: list[PhraseSuggestion]
    loose: list[LooseRule]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rubric": self.rubric.id,
            "n": self.n,
            "high_from": self.high_from,
            "low_to": self.low_to,
            "high_n": self.high_n,
            "low_n": self.low_n,
            "phrases": [
                {
                    "concept": s.concept,
                    "phrase": s.phrase,
                    "answers": s.count,
                    "uncredited": s.uncredited,
                    "lift": round(s.lift, 3),
                    "low_scored": s.low_count,
                    "could_also_be": s.also,
                    "examples": [{"id": i, "sentence": t} for i, t in s.examples],
                }
                for s in self.phrases
            ],
            "loose": [
                {
                    "point": r.point,
                    "rule": r.rule,
                    "low_overscored_with_rule": r.low_count,
                    "low": r.low_n,
                    "high_with_rule": r.high_count,
                    "high": r.high_n,
                    "examples": [{"id": i, "sentence": t} for i, t in r.examples],
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
                if len(window) < n:
                    break
                if any(t.i in covered for t in window):
                    break
                # within one clause run: no gap of more than one token
                if window[-1].i - window[0].i != n - 1:
                    break
                first, last = window[0], window[-1]
                if not _content(first, stop) and not first.like_num:
                    continue
                if not (_content(last, stop) or last.dep_ == "prt"):  # "dried up", "let in"
                    continue
                key = tuple(t.lemma_.lower() for t in window)
                if key not in out:
                    surface = doc.text[first.idx : last.idx + len(last.text)].lower()
                    out[key] = _Gram(key, surface, sent.text.strip())
    return out


def _vocabulary(texts: list[str], nlp: Language, stop: set[str]) -> set[str]:
    words: set[str] = set()
    for doc in nlp.pipe(texts):
        words.update(t.lemma_.lower() for t in doc if _content(t, stop))
    return words


def _covered(fb: Feedback, doc: Doc, norm_span_to_doc: Any) -> set[int]:
    covered: set[int] = set()
    for c in fb.concepts:
        for ev in c.evidence:
            covered.update(norm_span_to_doc(ev.start, ev.end))
    for m in fb.misconceptions:
        for ev in m.evidence:
            covered.update(norm_span_to_doc(ev.start, ev.end))
    return covered


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def suggest(
    rubric: Rubric,
    answers: Sequence[ScoredAnswer],
    feedbacks: Sequence[Feedback],
    nlp: Language,
    *,
    min_count: int = 2,
    per_concept: int = 5,
    examples: int = 2,
) -> Suggestions:
    max_score = rubric.max_score()
    high_from, low_to = max_score * HIGH_FRACTION, max_score * LOW_FRACTION
    stop = set(nlp.Defaults.stop_words)

    norms = [normalize(a.answer) for a in answers]
    docs = list(nlp.pipe(n.text for n in norms))
    grams: list[dict[tuple[str, ...], _Gram]] = []
    for norm, doc, fb in zip(norms, docs, feedbacks, strict=True):
        # evidence offsets are in the original answer; map them to tokens of the normalized text
        starts = norm.starts

        def to_tokens(o_start: int, o_end: int, doc: Doc = doc, starts: tuple[int, ...] = starts) -> set[int]:
            return {t.i for t in doc if t.idx < len(starts) and o_start <= starts[t.idx] < o_end}

        grams.append(_grams(doc, _covered(fb, doc, to_tokens), stop))

    high = [i for i, a in enumerate(answers) if a.score >= high_from]
    low = [i for i, a in enumerate(answers) if a.score <= low_to]
    low_set = set(low)
    residual = [a.score - fb.score for a, fb in zip(answers, feedbacks, strict=True)]
    usual = sum(residual) / len(residual) if residual else 0.0
    min_lift = MIN_LIFT * max_score

    where: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, g in enumerate(grams):
        for key in g:
            where[key].append(i)

    affinity = {
        c.id: _vocabulary([c.label, c.name or "", c.hint or "", *c.phrases], nlp, stop)
        for c in rubric.concepts
    }
    best: dict[tuple[str, ...], PhraseSuggestion] = {}
    for key, idx in where.items():
        if len(idx) < min_count or len(key) < MIN_WORDS:
            continue
        lift = sum(residual[i] for i in idx) / len(idx) - usual
        if lift < min_lift:
            continue
        # the concept it most likely stands for: uncredited where the phrase is, and near in words
        fits = []
        for c in rubric.concepts:
            missing = [i for i in idx if feedbacks[i].concept(c.id).status == "missing"]
            frac = len(missing) / len(idx)
            if frac < 0.5 or len(missing) < min_count:
                continue
            content = {w for w in key if w not in stop}
            near = len(content & affinity[c.id]) / len(content) if content else 0.0
            fits.append((frac + AFFINITY_WEIGHT * near, c.id, missing))
        if not fits:
            continue
        fits.sort(key=lambda f: -f[0])
        top, cid, missing = fits[0]
        surfaces = Counter(grams[i][key].surface for i in idx)
        best[key] = PhraseSuggestion(
            concept=cid,
            phrase=surfaces.most_common(1)[0][0],
            count=len(idx),
            uncredited=len(missing),
            lift=lift,
            low_count=sum(1 for i in idx if i in low_set),
            low_n=len(low),
            examples=[(answers[i].id, _short(grams[i][key].sentence)) for i in missing[:examples]],
            also=[f[1] for f in fits[1:] if f[0] >= top - 0.1],
        )

    phrases: list[PhraseSuggestion] = []
    ranked = sorted(best.values(), key=lambda s: (-s.lift * s.uncredited, -len(s.phrase.split()), s.phrase))
    kept: list[PhraseSuggestion] = []
    for sug in ranked:
        # a phrase inside another with as much support adds nothing (and the other way round)
        if any(_inside(sug.phrase, k.phrase) and k.count >= sug.count for k in kept):
            continue
        kept = [k for k in kept if not (_inside(k.phrase, sug.phrase) and sug.count >= k.count)]
        kept.append(sug)
    for c in rubric.concepts:
        phrases.extend([k for k in kept if k.concept == c.id][:per_concept])

    loose = _loose_rules(rubric, answers, feedbacks, high, low, min_count, examples)
    return Suggestions(rubric, len(answers), high_from, low_to, len(high), len(low), phrases, loose)


def _inside(short: str, long: str) -> bool:
    return short != long and f" {short} " in f" {long} "


def _rules(fb: Feedback) -> dict[tuple[str, str], tuple[int, int]]:
    """(point, rule) -> evidence span, for each credit the machine gave."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for c in fb.concepts:
        if c.status == "present":
            for ev in c.evidence:
                out.setdefault((c.id, _rule_name(ev.rule)), (ev.start, ev.end))
    for lk in fb.links:
        if lk.status == "present" and lk.evidence:
            ev = lk.evidence[-1]
            out.setdefault((lk.key, _rule_name(ev.rule)), (lk.evidence[0].start, ev.end))
    return out


def _rule_name(rule: str) -> str:
    return re.sub(r"\s*\(spelling: .*\)$", "", rule)


def _loose_rules(
    rubric: Rubric,
    answers: Sequence[ScoredAnswer],
    feedbacks: Sequence[Feedback],
    high: list[int],
    low: list[int],
    min_count: int,
    examples: int,
) -> list[LooseRule]:
    over = [i for i in low if feedbacks[i].score > answers[i].score]
    high_rules: Counter[tuple[str, str]] = Counter(k for i in high for k in _rules(feedbacks[i]))
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i in over:
        for k in _rules(feedbacks[i]):
            found[k].append(i)
    out = []
    for (point, rule), where in found.items():
        if len(where) < min_count:
            continue
        ex = []
        for i in where[:examples]:
            start, end = _rules(feedbacks[i])[(point, rule)]
            text = answers[i].answer
            lo, hi = max(0, start - 60), min(len(text), end + 60)
            ex.append(
                (
                    answers[i].id,
                    _short(("..." if lo else "") + text[lo:hi] + ("..." if hi < len(text) else "")),
                )
            )
        out.append(LooseRule(point, rule, len(where), len(low), high_rules[(point, rule)], len(high), ex))
    out.sort(key=lambda r: (-r.low_count, r.high_count, r.point, r.rule))
    return out


# --- output -------------------------------------------------------------------------


def _yaml_str(text: str) -> str:
    return text if re.fullmatch(r"[a-z0-9][a-z0-9 +'/\-]*[a-z0-9+]|[a-z0-9]", text) else json.dumps(text)


def _comment(text: str) -> str:
    return " ".join(text.split()).replace("\n", " ")


def to_yaml(s: Suggestions) -> str:
    """Ready-to-paste YAML: new phrases under each concept, loose rules as comments."""
    lines = [
        f"# grader rubric suggest: {s.rubric.id}, {plural(s.n, 'scored answer')}",
        f"# high: teacher score >= {s.high_from:.3g} ({plural(s.high_n, 'answer')}); "
        f"low: <= {s.low_to:.3g} ({plural(s.low_n, 'answer')})",
        "# These are proposals: keep the phrases that really state the concept, add them to",
        "# that concept's phrases in the rubric, then run: grader rubric check RUBRIC",
    ]
    by_concept: dict[str, list[PhraseSuggestion]] = defaultdict(list)
    for p in s.phrases:
        by_concept[p.concept].append(p)
    if by_concept:
        lines.append("concepts:")
        for c in s.rubric.concepts:
            if c.id not in by_concept:
                continue
            lines.append(f"  - id: {c.id}  # {_comment(c.label)[:70]}")
            lines.append("    phrases:")
            for p in by_concept[c.id]:
                lines.append(
                    f"      # in {p.count} answers ({p.low_count} scored low), {c.id} not credited in "
                    f"{p.uncredited}; you gave {p.lift:+.1f} points more than the machine there"
                )
                if p.also:
                    lines.append(f"      # (as likely to belong to: {', '.join(p.also)})")
                for aid, sent in p.examples:
                    lines.append(f'      #   {_comment(aid)}: "{_comment(sent)}"')
                lines.append(f"      - {_yaml_str(p.phrase)}")
    else:
        lines.append(
            "# No missing phrasing found: every answer you scored high was credited for its concepts,"
        )
        lines.append("# or no wording recurs in the uncredited ones (try --min-count 1 on a small file).")
    if s.loose:
        lines.append("")
        lines.append("# Credit the machine gave in answers you scored low (and it scored higher than you):")
        lines.append(
            "# a phrase or rule here may be too loose; make it longer or more specific, or remove it."
        )
        for r in s.loose:
            lines.append(
                f"#   {r.point}, {r.rule}: {r.low_count} of {r.low_n} low-scored answers "
                f"(it also fired in {r.high_count} of {r.high_n} high-scored)"
            )
            for aid, sent in r.examples:
                lines.append(f'#     {_comment(aid)}: "{_comment(sent)}"')
    return "\n".join(lines) + "\n"


def suggest_from_file(
    rubric: Rubric, scored: ScoredSet, *, model: str | None = None, min_count: int = 2, per_concept: int = 5
) -> Suggestions:
    """Check the teacher's scored answers and mine them for the wording the rubric misses."""
    from .checker import Checker

    checker = Checker(rubric, model=model)
    feedbacks = check_scored(checker, scored.answers)
    return suggest(
        rubric, scored.answers, feedbacks, checker.nlp, min_count=min_count, per_concept=per_concept
    )
