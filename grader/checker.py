"""The checker: one rubric, compiled once, checks answers one by one or in batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from spacy.language import Language
from spacy.tokens import Doc

from . import explain
from .answers import MAX_ANSWER_CHARS as MAX_ANSWER_CHARS  # its home is answers.py
from .answers import validate_answer
from .errors import AnswerError
from .feedback import ConceptResult, Evidence, Feedback, LinkResult, MisconceptionResult
from .links import Relation, arrow_between, pronoun_relation, relate, sentence_opener
from .matching import CompiledRubric, Hit
from .negation import NEG_WORDS, frame, negation_of, polarity
from .nlp import Normalized, load_pipeline, normalize, pipeline_name
from .rubric import Rubric
from .scoring import score

NEGATION_WORDS = NEG_WORDS | {"without"}
MAX_HITS_PER_CONCEPT = 12  # bounds the pairs tried per link on long answers


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


@dataclass
class _Mention:
    hit: Hit
    sent: int  # index of the sentence's first token
    negated: bool
    cue: str | None
    frame: str | None  # "contrast" ("unlike X"), "hypothetical" ("would"): not a claim
    credited: bool = True
    note: str | None = None


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
        self._extra_verbs = frozenset(v.lower() for v in rubric.relating_verbs)
        # "verbs" of a claim are lemmas; compare lower-case
        self._claims = [
            (m.id, i, frozenset(v.lower() for v in c.verbs), c.negated)
            for m in rubric.misconceptions
            for i, c in enumerate(m.claims)
        ]

    # --- public -------------------------------------------------------------------

    def check(self, answer: str) -> Feedback:
        return next(self.check_many([answer]))

    def check_many(self, answers: Iterable[str], batch_size: int = 64) -> Iterator[Feedback]:
        """Feedback for each answer, in order. Answers over the limit raise AnswerError."""

        def prepared() -> Iterator[tuple[str, Normalized]]:
            for a in answers:
                norm = prepare(a)
                yield norm.text, norm

        for doc, norm in self.nlp.pipe(prepared(), as_tuples=True, batch_size=batch_size):
            yield self.analyze(doc, norm)

    def analyze(self, doc: Doc, norm: Normalized) -> Feedback:
        """Feedback for an answer already parsed by this checker's pipeline."""
        fb = _Analysis(self, doc, norm).feedback()
        return self.calibration.apply(fb) if self.calibration is not None else fb


def prepare(answer: str) -> Normalized:
    """Check the answer (see answers.validate_answer) and normalize its notation."""
    problem = validate_answer(answer)
    if problem is not None:
        raise AnswerError(problem.message)
    return normalize(answer)


class _Analysis:
    """Everything found in one answer; turned into a Feedback."""

    def __init__(self, checker: Checker, doc: Doc, norm: Normalized):
        self.checker = checker
        self.rubric = checker.rubric
        self.doc = doc
        self.norm = norm
        compiled = checker.compiled
        self.hits = compiled.find(doc, compiled.keyed(doc))
        # Token.sent builds a Span on every call: look sentence starts up once
        self.sent_start = [0] * len(doc)
        for sent in doc.sents:
            self.sent_start[sent.start : sent.end] = [sent.start] * (sent.end - sent.start)
        self.mentions = [self._mention(h) for h in self.hits]

    def _mention(self, hit: Hit) -> _Mention:
        root = hit.predicate(self.doc)
        pol = polarity(root)
        # a negation word inside the phrase itself ("no energy") is the phrase's meaning
        cue_inside = (
            pol.cue is not None
            and hit.start <= pol.cue.i < hit.end
            and bool(NEGATION_WORDS & set(hit.rule.lower().replace("n't", " not").split()))
        )
        negated = pol.negated and not cue_inside
        cue = pol.cue.text if pol.cue is not None else None
        return _Mention(hit, self.sent_start[root.i], negated, cue, frame(root))

    # --- evidence -----------------------------------------------------------------

    def evidence(self, start_tok: int, end_tok: int, rule: str) -> Evidence:
        span = self.doc[start_tok:end_tok]
        o_start, o_end = self.norm.span(span.start_char, span.end_char)
        return Evidence(start=o_start, end=o_end, text=self.norm.original[o_start:o_end], rule=rule)

    def hit_evidence(self, hit: Hit) -> Evidence:
        rule = hit.rule
        if hit.corrected:
            rule += f" (spelling: {', '.join(hit.corrected)})"
        return self.evidence(hit.start, hit.end, rule)

    # --- misconceptions -----------------------------------------------------------

    def misconceptions(self) -> list[MisconceptionResult]:
        found: dict[str, list[Evidence]] = {}
        self.misconception_sents: set[int] = set()
        for m in self.mentions:
            if m.hit.kind == "misconception" and not m.negated and m.frame is None:
                found.setdefault(m.hit.owner, []).append(self.hit_evidence(m.hit))
                self.misconception_sents.add(m.sent)
        terms: dict[str, list[_Mention]] = {}
        for m in self.mentions:
            if m.hit.kind == "term" and m.frame is None:
                terms.setdefault(m.hit.owner, []).append(m)
        for mid, i, verbs, negated_claim in self._claims:
            for s in terms.get(f"{mid}#{i}:s", []):
                for o in terms.get(f"{mid}#{i}:o", []):
                    if s.sent != o.sent or s.hit.overlaps(o.hit):
                        continue
                    if arrow_between(self.doc, *sorted((s.hit.end, o.hit.start))) is not None:
                        continue  # "ACh released -> ... sodium": steps of a chain, not one claim
                    rel = self._best_relation(s.hit, o.hit, clause_only=True)
                    if rel is None:
                        continue
                    relating = [t for t in rel.path if not verbs or t.lemma_.lower() in verbs]
                    if verbs and not relating:
                        continue
                    # the claim is denied when its verb is ('does not need'), or a mention is
                    negated = (
                        s.negated
                        or o.negated
                        or any(negation_of(t) is not None for t in relating if t.pos_ in {"VERB", "AUX"})
                    )
                    if negated != negated_claim:
                        continue
                    lo = min(s.hit.start, o.hit.start)
                    hi = max(s.hit.end, o.hit.end)
                    found.setdefault(mid, []).append(self.evidence(lo, hi, f"claim: {rel.rule}"))
                    self.misconception_sents.add(s.sent)
        return [
            MisconceptionResult(id=m.id, feedback=m.feedback, evidence=found[m.id])
            for m in self.rubric.misconceptions
            if m.id in found
        ]

    @property
    def _claims(self) -> list[tuple[str, int, frozenset[str], bool]]:
        return self.checker._claims

    @property
    def _extra_verbs(self) -> frozenset[str]:
        return self.checker._extra_verbs

    # --- concepts -----------------------------------------------------------------

    def concepts(self) -> list[ConceptResult]:
        results = []
        self.credited: dict[str, list[_Mention]] = {}
        for c in self.rubric.concepts:
            mine = [m for m in self.mentions if m.hit.kind == "concept" and m.hit.owner == c.id]
            good = []
            for m in mine:
                if m.negated:
                    m.credited, m.note = False, f'in a negative ("{m.cue}")'
                elif m.frame == "contrast":
                    m.credited, m.note = False, 'as a contrast ("unlike ...")'
                elif m.sent in self.misconception_sents:
                    m.credited, m.note = False, "in a sentence that states a misconception"
                else:
                    good.append(m)
            if good:
                self.credited[c.id] = good[:MAX_HITS_PER_CONCEPT]
                ev = [self.hit_evidence(m.hit) for m in good]
                results.append(ConceptResult(id=c.id, label=c.label, status="present", evidence=ev))
            elif mine:
                ev = [self.hit_evidence(m.hit) for m in mine]
                results.append(
                    ConceptResult(id=c.id, label=c.label, status="negated", evidence=ev, note=mine[0].note)
                )
            else:
                results.append(ConceptResult(id=c.id, label=c.label, status="missing"))
        return results

    # --- links --------------------------------------------------------------------

    def links(self) -> list[LinkResult]:
        results = []
        sent_starts = [s.start for s in self.doc.sents]
        next_sent = dict(zip(sent_starts, sent_starts[1:], strict=False))
        for link in self.rubric.links:
            best: tuple[list[Evidence], str | None] | None = None
            reversed_seen = False
            for a in self.credited.get(link.from_, []):
                for b in self.credited.get(link.to, []):
                    if a.hit.overlaps(b.hit):
                        continue
                    direction, ev = self._relation(a, b, next_sent)
                    if direction is None:
                        continue
                    if direction >= 0 or not link.directed:
                        best = (ev, None)
                        break
                    reversed_seen = True
                if best:
                    break
            if best:
                results.append(LinkResult(from_=link.from_, to=link.to, status="present", evidence=best[0]))
            else:
                results.append(
                    LinkResult(
                        from_=link.from_,
                        to=link.to,
                        status="missing",
                        note="reversed" if reversed_seen else None,
                    )
                )
        return results

    def _relation(
        self, a: _Mention, b: _Mention, next_sent: dict[int, int]
    ) -> tuple[int | None, list[Evidence]]:
        """Direction of a's relation to b (+1 a->b, -1 b->a, 0 unknown), with evidence."""
        doc = self.doc
        ends = [self.hit_evidence(a.hit), self.hit_evidence(b.hit)]
        # a student's arrow, within one line (the parser's sentence breaks in arrow chains are unreliable)
        first, second = (a, b) if a.hit.start < b.hit.start else (b, a)
        arrow = arrow_between(doc, first.hit.end, second.hit.start)
        if arrow is not None and not self._concept_between(
            first.hit.end, arrow.i, {a.hit.owner, b.hit.owner}
        ):
            forward = (arrow.text == "->") == (first is a)
            return (1 if forward else -1), [*ends, self.evidence(arrow.i, arrow.i + 1, "arrow")]
        if a.sent == b.sent:
            rel = self._best_relation(a.hit, b.hit)
            if rel is None:
                return None, []
            cue = [self.evidence(rel.cue.i, rel.cue.i + 1, rel.rule)] if rel.cue is not None else []
            return rel.direction, [*ends, *cue]
        # adjacent sentences bound by a connective or pronoun
        for earlier, later, sign in ((a, b, 1), (b, a, -1)):
            if next_sent.get(earlier.sent) == later.sent:
                opener = sentence_opener(doc, later.sent)
                if opener is None:
                    continue
                tok, direction = opener
                pron = pronoun_relation(tok, later.hit.root(doc), self._extra_verbs)
                if pron is not None:
                    if pron.cue is None:
                        continue  # 'It is a protein.': the pronoun is not related to the mention
                    direction = pron.direction
                    rule = f"'{tok.text}' refers back, {pron.rule}"
                    word = pron.cue
                else:
                    rule = f"connective across sentences: {tok.text}"
                    word = tok
                return sign * direction, [*ends, self.evidence(word.i, word.i + 1, rule)]
        return None, []

    def _best_relation(self, a: Hit, b: Hit, clause_only: bool = False) -> Relation | None:
        """The relation between two mentions through any of their anchors: forward first."""
        found = None
        own = frozenset(i for start, end in (*a.token_spans(), *b.token_spans()) for i in range(start, end))
        for x in a.anchors(self.doc):
            for y in b.anchors(self.doc):
                rel = relate(x, y, self._extra_verbs, own)
                if rel is None or (clause_only and rel.clausal):
                    continue
                if rel.direction >= 0:
                    return rel
                found = found or rel
        return found

    def _concept_between(self, lo: int, hi: int, ends: set[str]) -> bool:
        """Another concept stands between a mention and an arrow: the arrow is not theirs."""
        return any(
            m.hit.kind == "concept"
            and m.credited
            and m.hit.owner not in ends
            and lo <= m.hit.start
            and m.hit.end <= hi
            for m in self.mentions
        )

    # --- all together -------------------------------------------------------------

    def feedback(self) -> Feedback:
        misconceptions = self.misconceptions()
        concepts = self.concepts()
        links = self.links()
        empty = not self.norm.original.strip()
        total = score(
            self.rubric,
            [c.id for c in concepts if c.status == "present"],
            [lk.key for lk in links if lk.status == "present"],
            [m.id for m in misconceptions],
        )
        return Feedback(
            rubric=self.rubric.id,
            pipeline=self.checker.pipeline,
            score=total,
            max_score=self.rubric.max_score(),
            concepts=concepts,
            links=links,
            misconceptions=misconceptions,
            feedback=explain.sentences(self.rubric, concepts, links, misconceptions, empty),
        )
