"""The checker: one rubric, compiled once, checks answers one by one or in batches.

The analysis of one answer is a row of stages, each a function from what the stages
before it found to a new, immutable result (nothing is changed after it is made):

    parse       text -> Doc (the pipeline normalizes notation first)
    mentions    Doc -> where rubric phrases and patterns fire        (nlp.mentions)
    assess      mentions -> polarity, frame, clause, memberships     (nlp.polarity, nlp.clauses)
    misconceptions  assessed mentions -> stated misconceptions and the clauses they void
                                                                      (nlp.claims)
    concepts    assessed mentions, voided clauses -> credited concepts
    links       credited mentions -> links argued, with direction     (nlp.relations)
    score       credited concepts, links, misconceptions -> points    (scoring)
    feedback    all of it -> Feedback                                (explain)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from spacy.attrs import LEMMA, LOWER
from spacy.language import Language
from spacy.tokens import Doc, Token

from . import explain
from .answers import MAX_ANSWER_CHARS as MAX_ANSWER_CHARS  # its home is answers.py
from .answers import validate_answer
from .errors import AnswerError
from .feedback import ConceptResult, Evidence, Feedback, LinkResult, MisconceptionResult, PartResult
from .nlp import Normalized, load_pipeline, normalize, pipeline_name
from .nlp.claims import ClaimSpec, compile_claims, stated
from .nlp.clauses import ClauseModel, Membership
from .nlp.extensions import normalized_of, set_mention, set_mentions
from .nlp.mentions import CompiledRubric, Hit, span_root
from .nlp.polarity import (
    CONTRAST_HEADS,
    NEG_WORDS,
    Polarity,
    contrast_scopes,
    contrastive_nots,
    cues_in,
    frame,
    polarity,
)
from .nlp.relations import Relation, Relator, arrow_between, is_pronoun, sentence_opener
from .parts import Segment, split_parts
from .rubric import Link, Rubric
from .scoring import score

NEGATION_WORDS = NEG_WORDS | {"without"}
MAX_HITS_PER_CONCEPT = 12  # bounds the pairs tried per link on long answers
AFFIRMED = Polarity(False)
_CONTRASTIVE = re.compile(r"(?:,|\band|\bbut)\s+not\b|\brather than\b|\binstead of\b")
_CONTRAST_HEAD = re.compile(r"\b(?:" + "|".join(sorted(CONTRAST_HEADS)) + r")\b")


class Calibration(Protocol):
    """Anything that rescores a Feedback the way one teacher grades."""

    def apply(self, feedback: Feedback) -> Feedback: ...


@lru_cache(maxsize=4)
def _known_words(nlp: Language) -> frozenset[str]:
    """English base forms: a near miss of a rubric word that is a real word ("fusion",
    "infusion") is not a misspelling of it. The rule lemmatizer's index (WordNet lemmas)
    is a real dictionary; the vocab's strings hold typos seen in training, so they are
    only the fallback for a pipeline without one."""
    words: set[str] = set()
    if "lemmatizer" in nlp.pipe_names:
        lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
        if lookups is not None and lookups.has_table("lemma_index"):
            index = lookups.get_table("lemma_index")
            for pos in index:
                words.update(w for w in index[pos] if w.isalpha())
    if not words:
        words = {s for s in list(nlp.vocab.strings) if s.isalpha() and s.islower()}
    return frozenset(words)


@lru_cache(maxsize=64)
def _compile(rubric_json: str, nlp: Language) -> CompiledRubric:
    rubric = Rubric.model_validate_json(rubric_json)
    return CompiledRubric(rubric, nlp, _known_words(nlp))


def compile_rubric(rubric: Rubric, nlp: Language) -> CompiledRubric:
    """Compile once per rubric content and pipeline; later calls reuse the result."""
    return _compile(rubric.model_dump_json(by_alias=True), nlp)


class Checker:
    """Checks answers against one rubric.

    >>> checker = Checker(load_rubric("rubrics/ap-bio/membrane-potential.yaml"))
    >>> checker.check("The Na+/K+ pump uses ATP ...").score
    """

    def __init__(
        self,
        rubric: Rubric,
        nlp: Language | None = None,
        *,
        model: str | None = None,
        calibration: Calibration | None = None,
    ):
        self.rubric = rubric
        self.nlp = nlp if nlp is not None else load_pipeline(model)
        self.pipeline = pipeline_name(self.nlp)
        self.compiled = compile_rubric(rubric, self.nlp)
        self.calibration = calibration
        self.extra_verbs = frozenset(v.lower() for v in rubric.relating_verbs)
        self.claims = compile_claims(rubric)
        # a multi-part question: one checker per part, each answer split by its part markers
        self.parts = {p.id: Checker(rubric.part_rubric(p.id), self.nlp) for p in rubric.parts}

    # --- public -------------------------------------------------------------------

    def check(self, answer: str) -> Feedback:
        return next(self.check_many([answer]))

    def check_many(self, answers: Iterable[str], batch_size: int = 64) -> Iterator[Feedback]:
        """Feedback for each answer, in order. Answers over the limit raise AnswerError."""

        def prepared() -> Iterator[str]:
            for a in answers:
                _validate(a)
                yield a

        if self.parts:
            for answer in prepared():
                yield self._calibrated(self._check_parts(answer))
            return
        for doc in self.nlp.pipe(prepared(), batch_size=batch_size):
            yield self.analyze(doc)

    def analyze(self, doc: Doc, norm: Normalized | None = None, *, annotate: bool = False) -> Feedback:
        """Feedback for an answer already parsed by this checker's pipeline. `norm` maps the
        Doc's text back to the original answer (by default the one the pipeline made).
        With `annotate`, the findings are also written on the Doc: `doc._.mentions`, and
        on each mention `span._.concept`, `._.polarity`, `._.clause`, `._.asserted`."""
        norm = norm or normalized_of(doc) or normalize(doc.text)
        if self.parts:
            return self._calibrated(self._check_parts(norm.original))
        return self._calibrated(analyze(self, doc, norm, annotate=annotate))

    def check_parts(self, answer: str, segments: Sequence[Segment]) -> Feedback:
        """Feedback for an answer to a multi-part question whose parts are already apart
        (`parts.join_parts`: one column per part in a class file): each segment is checked
        against its part as it is, without looking for markers again."""
        if not self.parts:
            raise ValueError(f"{self.rubric.id} has no parts; use check()")
        if [s.part for s in segments] != list(self.parts):
            raise ValueError(f"give one segment per part, in order: {', '.join(self.parts)}")
        _validate(answer)
        return self._calibrated(self._check_parts(answer, segments))

    def _calibrated(self, fb: Feedback) -> Feedback:
        return self.calibration.apply(fb) if self.calibration is not None else fb

    def _check_parts(self, answer: str, segments: Sequence[Segment] | None = None) -> Feedback:
        """Split the answer by its part markers (unless `segments` says where the parts are),
        check each part against its own part of the rubric, and put the findings together
        (offsets into the whole answer)."""
        if segments is None:
            segments = split_parts(answer, list(self.parts))
        docs = self.nlp.pipe(answer[s.start : s.end] for s in segments)
        found: list[tuple[Segment, Feedback]] = []
        for seg, doc in zip(segments, docs, strict=True):
            fb = self.parts[seg.part].analyze(doc)
            found.append((seg, _shifted(fb, seg.start)))
        rubric = self.rubric
        concepts = [c for _, fb in found for c in fb.concepts]
        links = [lk for _, fb in found for lk in fb.links]
        misconceptions = [m for _, fb in found for m in fb.misconceptions]
        empty = not answer.strip()
        prompts = {p.id: p.prompt for p in rubric.parts}
        sentences = [explain.NOTHING_WRITTEN] if empty else []
        for seg, fb in found if not empty else ():
            if not answer[seg.start : seg.end].strip():
                sentences.append(f"({seg.part}) You have not answered this part yet: {prompts[seg.part]}")
            else:
                sentences += [f"({seg.part}) {line}" for line in fb.feedback]
        return Feedback(
            rubric=rubric.id,
            pipeline=self.pipeline,
            # the parts' own scores, each capped as its part says (list_max), add up
            score=float(min(sum(fb.score for _, fb in found), rubric.max_score())),
            max_score=rubric.max_score(),
            concepts=concepts,
            links=links,
            misconceptions=misconceptions,
            feedback=sentences,
            parts=[
                PartResult(
                    id=seg.part,
                    score=fb.score,
                    max_score=fb.max_score,
                    start=seg.start,
                    end=seg.end,
                    marked=seg.marked,
                )
                for seg, fb in found
            ],
        )

    def annotate(self, answer: str) -> tuple[Doc, Feedback]:
        """The parsed answer with the findings on it as spaCy extensions, and its Feedback."""
        _validate(answer)
        doc = self.nlp(answer)
        return doc, self.analyze(doc, annotate=True)


def _shifted(fb: Feedback, offset: int) -> Feedback:
    """A part's Feedback with its evidence offsets moved into the whole answer."""
    if not offset:
        return fb

    def move(items: list) -> list:
        return [
            x.model_copy(
                update={
                    "evidence": [
                        e.model_copy(update={"start": e.start + offset, "end": e.end + offset})
                        for e in x.evidence
                    ]
                }
            )
            for x in items
        ]

    return fb.model_copy(
        update={
            "concepts": move(fb.concepts),
            "links": move(fb.links),
            "misconceptions": move(fb.misconceptions),
        }
    )


def _validate(answer: str) -> None:
    problem = validate_answer(answer)
    if problem is not None:
        raise AnswerError(problem.message)


def prepare(answer: str) -> Normalized:
    """Check the answer (see answers.validate_answer) and normalize its notation."""
    _validate(answer)
    return normalize(answer)


# --- the stages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessed:
    """A mention with what the parse says of it. Its place in the clause model is looked up
    when a later stage first asks (most sentences never need it)."""

    hit: Hit
    sent: int  # index of its sentence's first token
    polarity: Polarity
    frame: str | None  # "contrast" ("unlike X"), "hypothetical" ("would"): not a claim
    root: Token  # the token whose polarity is the mention's
    model: ClauseModel = field(repr=False, compare=False)

    @property
    def negated(self) -> bool:
        return self.polarity.negated

    @property
    def claimable(self) -> bool:
        return self.frame is None

    @property
    def members(self) -> list[Membership]:
        """Its places in the clause model, through its head tokens first, then its other words."""
        cached = self.model.cache.get(self.hit)
        if cached is not None:
            return cached
        doc = self.model.doc
        anchors = self.hit.anchors(doc)
        own = {i for a, b in self.hit.token_spans() for i in range(a, b)}
        tokens = anchors + [doc[i] for i in sorted(own) if not doc[i].is_punct and doc[i] not in anchors]
        found = self.model.memberships(tokens, own)
        self.model.cache[self.hit] = found
        return found

    @property
    def clause(self) -> int | None:
        """Its clause's predicate token."""
        found = self.model.clause_of(self.root)
        return found.pred.i if found is not None else None


@dataclass(frozen=True)
class Voided:
    """Where stated misconceptions take credit away: clauses, sentences and token ranges."""

    clauses: frozenset[int]
    sentences: frozenset[int]
    spans: tuple[tuple[int, int], ...]

    def covers(self, m: Assessed) -> bool:
        if m.sent in self.sentences or any(lo <= m.hit.start and m.hit.end <= hi for lo, hi in self.spans):
            return True
        return bool(self.clauses) and m.clause in self.clauses


@dataclass(frozen=True)
class Credited:
    results: list[ConceptResult]
    mentions: dict[str, list[Assessed]]  # concept id -> credited mentions


class _Evidence:
    """Evidence offsets in the student's original characters."""

    def __init__(self, doc: Doc, norm: Normalized):
        self.doc, self.norm = doc, norm

    def span(self, start_tok: int, end_tok: int, rule: str) -> Evidence:
        last = self.doc[end_tok - 1]
        o_start, o_end = self.norm.span(self.doc[start_tok].idx, last.idx + len(last))
        return Evidence(start=o_start, end=o_end, text=self.norm.original[o_start:o_end], rule=rule)

    def hit(self, hit: Hit) -> Evidence:
        rule = hit.rule
        if hit.corrected:
            rule += f" (spelling: {', '.join(hit.corrected)})"
        return self.span(hit.start, hit.end, rule)

    def word(self, tok: Token, rule: str) -> Evidence:
        return self.span(tok.i, tok.i + 1, rule)


def analyze(checker: Checker, doc: Doc, norm: Normalized, annotate: bool = False) -> Feedback:
    """Run the stages on one parsed answer."""
    rubric = checker.rubric
    compiled = checker.compiled
    model = ClauseModel(doc)
    hits = compiled.find(doc, compiled.keyed(doc))
    live = _live_terms(checker.claims, doc, hits)
    mentions = assess(doc, model, [h for h in hits if h.kind != "term" or h.owner in live])
    blocked = frozenset(
        i for m in mentions if m.hit.kind != "term" for a, b in m.hit.token_spans() for i in range(a, b)
    )
    covered = frozenset(
        i
        for m in mentions
        if m.hit.kind != "term"
        for a, b in (m.hit.token_spans() if m.hit.together else ((m.hit.start, m.hit.end),))
        for i in range(a, b)
    )
    relator = Relator(model, blocked, checker.extra_verbs, covered)
    ev = _Evidence(doc, norm)
    misconceptions, voided = find_misconceptions(rubric, checker.claims, mentions, relator, doc, ev)
    credited = credit_concepts(rubric, mentions, voided, ev)
    links = find_links(rubric, credited.mentions, mentions, relator, doc, ev)
    if annotate:
        _publish(doc, mentions, credited, model)
    linked = [lk.key for lk in links if lk.status == "present"]
    listed_only = (
        bool(credited.mentions)
        and not linked
        and all(relator.in_list(m.root) for ms in credited.mentions.values() for m in ms)
    )
    total = score(
        rubric,
        [c.id for c in credited.results if c.status == "present"],
        linked,
        [m.id for m in misconceptions],
        listed_only,
    )
    empty = not norm.original.strip()
    return Feedback(
        rubric=rubric.id,
        pipeline=checker.pipeline,
        score=total,
        max_score=rubric.max_score(),
        concepts=credited.results,
        links=links,
        misconceptions=misconceptions,
        feedback=explain.sentences(rubric, credited.results, links, misconceptions, empty, listed_only),
    )


def _live_terms(claims: list[ClaimSpec], doc: Doc, hits: list[Hit]) -> set[str]:
    """The claim terms worth reading: those of claims whose subject and object are both
    mentioned and one of whose verbs (if it names any) is in the answer."""
    owners = {h.owner for h in hits if h.kind == "term"}
    if not owners:
        return set()
    lemmas: set[int] | None = None
    live: set[str] = set()
    for spec in claims:
        if spec.subject_owner not in owners or spec.object_owner not in owners:
            continue
        if spec.verb_ids is not None:
            if lemmas is None:
                lemmas = {int(x) for x in doc.to_array([LEMMA, LOWER]).ravel().tolist()}
            if not spec.verb_ids & lemmas:
                continue
        live.update((spec.subject_owner, spec.object_owner))
    return live


def assess(doc: Doc, model: ClauseModel, hits: list[Hit]) -> list[Assessed]:
    """Polarity, frame, clause and place in the clause model of every mention."""
    out = []
    may_negate, may_frame = cues_in(model.text)
    lower = model.text.lower()
    contrasts = contrastive_nots(doc) if may_negate and _CONTRASTIVE.search(lower) else {}
    contrast_set = contrast_scopes(doc) if may_frame and _CONTRAST_HEAD.search(lower) else set()
    for hit in hits:
        root = hit.predicate(doc)
        pol = polarity(root, contrasts) if may_negate else AFFIRMED
        if (
            may_negate
            and (hit.kind in {"misconception", "term"} or hit.together)
            and hit.parts
            and not pol.negated
        ):
            # a wrong claim written as "A ... B", or any "A & B", is not stated when any of
            # its parts is denied ("calcium, not sodium, makes the vesicles fuse")
            for a, b in hit.parts:
                part = polarity(span_root(doc, a, b), contrasts)
                if part.negated:
                    pol = part
                    break
        inside = pol.negated and pol.cue is not None and hit.start <= pol.cue.i < hit.end
        if inside and NEGATION_WORDS & set(hit.rule.lower().replace("n't", " not").split()):
            pol = AFFIRMED  # a negation word inside the phrase itself ("no energy") is its meaning
        frame_ = frame(root, contrast_set) if may_frame else None
        if frame_ is None and may_frame and hit.kind == "misconception" and hit.parts:
            frame_ = next((f for a, b in hit.parts if (f := frame(span_root(doc, a, b), contrast_set))), None)
        out.append(Assessed(hit, model.sentence_start(root.i), pol, frame_, root, model))
    return out


def find_misconceptions(
    rubric: Rubric,
    claims: list[ClaimSpec],
    mentions: list[Assessed],
    relator: Relator,
    doc: Doc,
    ev: _Evidence,
) -> tuple[list[MisconceptionResult], Voided]:
    """Misconceptions stated by phrase, pattern or claim, and where they void credit."""
    scope = {m.id: m.scope for m in rubric.misconceptions}
    found: dict[str, list[Evidence]] = {}
    clauses: set[int] = set()
    sentences: set[int] = set()
    spans: list[tuple[int, int]] = []

    def void(mid: str, clause: int | None, sent: int, lo: int, hi: int) -> None:
        if scope[mid] == "sentence":
            sentences.add(sent)
        elif clause is not None:
            found = relator.model.clause_of(relator.model.doc[clause])
            if found is not None:
                clauses.update(relator.model.voided_by(found))
        spans.append((lo, hi))

    for m in mentions:
        if m.hit.kind == "misconception" and not m.negated and m.claimable:
            found.setdefault(m.hit.owner, []).append(ev.hit(m.hit))
            void(m.hit.owner, m.clause, m.sent, m.hit.start, m.hit.end)
    terms: dict[str, list[Assessed]] = {}
    for m in mentions:
        if m.hit.kind == "term" and m.claimable:
            terms.setdefault(m.hit.owner, []).append(m)
    for spec in claims:
        # (terms of claims with none of their verbs in the answer were left out by analyze)
        subjects, objects = terms.get(spec.subject_owner, []), terms.get(spec.object_owner, [])
        if not subjects or not objects:
            continue
        for s in subjects:
            for o in objects:
                if s.sent != o.sent or s.hit.overlaps(o.hit):
                    continue
                lo_end, hi_start = sorted((s.hit.end, o.hit.start))
                if arrow_between(doc, lo_end, hi_start, relator.model.text) is not None:
                    continue  # "ACh released -> ... sodium": steps of a chain, not one claim
                claim = _claim(spec, relator, s, o)
                if claim is None:
                    continue
                lo, hi = min(s.hit.start, o.hit.start), max(s.hit.end, o.hit.end)
                found.setdefault(spec.misconception, []).append(ev.span(lo, hi, claim.rule))
                # the claim's own clause (its subject may stand outside it: "the pump is a
                # protein that does not need energy" keeps the pump)
                void(spec.misconception, claim.clause.pred.i, s.sent, o.hit.start, o.hit.end)
    results = [
        MisconceptionResult(id=m.id, feedback=m.feedback, evidence=found[m.id])
        for m in rubric.misconceptions
        if m.id in found
    ]
    return results, Voided(frozenset(clauses), frozenset(sentences), tuple(spans))


def _claim(spec: ClaimSpec, relator: Relator, s: Assessed, o: Assessed):
    negated = s.negated or o.negated
    for ms in s.members:
        for mo in o.members:
            claim = stated(spec, relator, ms, mo, negated)
            if claim is not None and claim.negated == spec.negated:
                return claim
    return None


def credit_concepts(rubric: Rubric, mentions: list[Assessed], voided: Voided, ev: _Evidence) -> Credited:
    """A concept is credited by a mention the student asserts: not denied, not a contrast,
    not inside a clause that states a misconception, not cancelled by one of the concept's
    `not:` phrases in its clause, and (for a description) said of the term it describes."""
    results = []
    credited: dict[str, list[Assessed]] = {}
    by_id = rubric.concept_by_id
    for c in rubric.concepts:
        mine = [m for m in mentions if m.hit.kind == "concept" and m.hit.owner == c.id]
        good: list[Assessed] = []
        first_note = None
        for m in mine:
            note = None
            if m.negated:
                note = f'in a negative ("{m.polarity.cue.text if m.polarity.cue else "not"}")'
            elif m.frame == "contrast":
                note = 'as a contrast ("unlike ...")'
            elif voided.covers(m):
                note = "in a clause that states a misconception"
            elif (cancel := _cancelled(m, mentions)) is not None:
                note = f'with "{cancel}" in the same clause'
            elif (
                c.describes is not None and (other := _described_other(m, c.describes, mentions)) is not None
            ):
                note = f"said of {by_id[other].short}, not of {by_id[c.describes].short}"
            if note is None:
                good.append(m)
            elif first_note is None:
                first_note = note
        if good:
            credited[c.id] = good[:MAX_HITS_PER_CONCEPT]
            evidence = [ev.hit(m.hit) for m in good]
            results.append(ConceptResult(id=c.id, label=c.label, status="present", evidence=evidence))
        elif mine:
            evidence = [ev.hit(m.hit) for m in mine]
            results.append(
                ConceptResult(id=c.id, label=c.label, status="negated", evidence=evidence, note=first_note)
            )
        else:
            results.append(ConceptResult(id=c.id, label=c.label, status="missing"))
    return Credited(results, credited)


def _cancelled(m: Assessed, mentions: list[Assessed]) -> str | None:
    """The words of one of the concept's `not:` phrases in the mention's clause, if any."""
    for x in mentions:
        if (
            x.hit.kind == "exclude"
            and x.hit.owner == m.hit.owner
            and x.sent == m.sent
            and x.clause == m.clause
        ):
            return x.hit.rule.removeprefix("phrase: ")
    return None


def _described_other(m: Assessed, term: str, mentions: list[Assessed]) -> str | None:
    """The other rubric concept a description is said of in its clause ("OSMOSIS is the
    diffusion of water ..."), when the clause does not name the described term itself."""
    same = [x for x in mentions if x.hit.kind == "concept" and x.sent == m.sent and x is not m]
    if any(x.hit.owner == term and x.clause == m.clause for x in same):
        return None
    clause = m.clause
    for x in same:
        if x.hit.owner == m.hit.owner or x.clause != clause or x.hit.overlaps(m.hit):
            continue
        if any(mb.clause.pred.i == clause and mb.role in {"subj", "patient"} for mb in x.members):
            return x.hit.owner
    return None


def find_links(
    rubric: Rubric,
    credited: dict[str, list[Assessed]],
    mentions: list[Assessed],
    relator: Relator,
    doc: Doc,
    ev: _Evidence,
) -> list[LinkResult]:
    results = []
    for link in rubric.links:
        verbs = frozenset(v.lower() for v in link.verbs) if link.verbs else None
        best: list[Evidence] | None = None
        reversed_seen = False
        for a in credited.get(link.from_, []):
            for b in credited.get(link.to, []):
                if a.hit.overlaps(b.hit):
                    continue
                direction, evidence = _relation(a, b, link, verbs, relator, mentions, doc, ev)
                if direction is None:
                    continue
                if direction >= 0 or not link.directed:
                    best = evidence
                    break
                reversed_seen = True
            if best:
                break
        if best:
            results.append(LinkResult(from_=link.from_, to=link.to, status="present", evidence=best))
        else:
            note = "reversed" if reversed_seen else None
            results.append(LinkResult(from_=link.from_, to=link.to, status="missing", note=note))
    return results


def _relation(
    a: Assessed,
    b: Assessed,
    link: Link,
    verbs: frozenset[str] | None,
    relator: Relator,
    mentions: list[Assessed],
    doc: Doc,
    ev: _Evidence,
) -> tuple[int | None, list[Evidence]]:
    """Direction of a's relation to b (+1 a->b, -1 b->a, 0 unknown), with evidence."""
    ends = [ev.hit(a.hit), ev.hit(b.hit)]
    # a student's arrow, within one line (the parser's sentence breaks in arrow chains are unreliable)
    first, second = (a, b) if a.hit.start < b.hit.start else (b, a)
    arrow = arrow_between(doc, first.hit.end, second.hit.start, relator.model.text)
    if arrow is not None and not _concept_between(
        mentions, first.hit.end, arrow.i, {a.hit.owner, b.hit.owner}
    ):
        forward = (arrow.text == "->") == (first is a)
        return (1 if forward else -1), [*ends, ev.word(arrow, "arrow")]
    if a.sent == b.sent:
        rel = _best(relator, a.members, b.members, verbs)
        linear = relator.linear((a.hit.start, a.hit.end), (b.hit.start, b.hit.end))
        if linear is not None and (
            rel is None or rel.clause is not None or rel.direction != linear.direction
        ):
            # a connective between two arguments of one verb ("uses ATP ..., so a gradient
            # forms" read as one clause): the parse is wrong, the words are right
            rel = linear
        if rel is None:
            return None, []
        cue = [ev.word(rel.cue, rel.rule)] if rel.cue is not None else []
        return rel.direction, [*ends, *cue]
    # adjacent sentences bound by a connective or pronoun
    for earlier, later, sign in ((a, b, 1), (b, a, -1)):
        end = relator.model.sentence_bounds(earlier.sent)[1]
        if end != later.sent:
            continue
        bounds = relator.model.sentence_bounds(later.sent)
        opener = sentence_opener(doc, *bounds)
        if opener is None:
            continue
        tok, direction = opener
        if is_pronoun(tok):
            pron = relator.model.memberships([tok], {tok.i})
            rel = _best(relator, pron, later.members, verbs) or relator.opener_subject(tok)
            if rel is None:
                continue  # 'It is a protein.': the pronoun is not related to the mention
            rule = f"'{tok.text}' refers back, {rel.rule}"
            word = rel.cue if rel.cue is not None else tok
            return sign * rel.direction, [*ends, ev.word(word, rule)]
        return sign * direction, [*ends, ev.word(tok, f"connective across sentences: {tok.text}")]
    return None, []


def _best(
    relator: Relator,
    left: Iterable[Membership],
    right: Iterable[Membership],
    verbs: frozenset[str] | None,
) -> Relation | None:
    """The relation between two mentions' memberships: in one clause first, forward first."""
    found = None
    right = list(right)
    for x in left:
        for y in right:
            rel = relator.in_clause(x, y, verbs) if x.clause is y.clause else relator.across_clauses(x, y)
            if rel is None:
                continue
            if rel.direction >= 0:
                return rel
            found = found or rel
    return found


def _concept_between(mentions: list[Assessed], lo: int, hi: int, ends: set[str]) -> bool:
    """Another concept stands between a mention and an arrow: the arrow is not theirs."""
    return any(
        m.hit.kind == "concept" and m.hit.owner not in ends and lo <= m.hit.start and m.hit.end <= hi
        for m in mentions
    )


def _publish(doc: Doc, mentions: list[Assessed], credited: Credited, model: ClauseModel) -> None:
    """The findings as `Span` extensions (`span._.concept`, `._.polarity`, ...). Only on
    request: the values hold tokens, so the Doc then refers to itself and lives until the
    garbage collector's next full pass."""
    asserted = {id(m) for ms in credited.mentions.values() for m in ms}
    spans = []
    for m in mentions:
        span = doc[m.hit.start : m.hit.end]
        span.label_ = f"{m.hit.kind}:{m.hit.owner}"
        pol = "negated" if m.negated else "counterfactual" if m.polarity.counterfactual else "affirmed"
        clause = model.by_pred.get(m.clause) if m.clause is not None else None
        set_mention(
            span,
            concept=m.hit.owner if m.hit.kind == "concept" else None,
            kind=m.hit.kind,
            owner=m.hit.owner,
            rule=m.hit.rule,
            polarity=m.frame or pol,
            cue=m.polarity.cue,
            clause=clause.span() if clause is not None else None,
            asserted=id(m) in asserted,
        )
        spans.append(span)
    set_mentions(doc, spans)
