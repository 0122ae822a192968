"""Where a rubric's concepts, misconceptions and claim terms are mentioned in an answer.

Phrases are compiled once per rubric into a trie over token *keys*: a key is a
token's lemma or lower-case form, with ion names and symbols unified (Na, Na+,
sodium -> "sodium") and a spelling correction for near misses of rubric words.
Articles, auxiliaries, punctuation and adverbs that never change a phrase's meaning
("then", "also": `lexicon/gap_adverbs.txt`) are skipped on both sides, so "the
channels are then opened" meets the phrase "channels open".
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from spacy.attrs import DEP, IS_PUNCT, IS_SPACE, LEMMA, LOWER, ORTH, POS, SENT_START, TAG
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.strings import StringStore
from spacy.symbols import ADV as _ADV
from spacy.symbols import AUX, DET
from spacy.tokens import Doc, Span, Token

from ..errors import RubricError
from ..rubric import Rubric, Window
from . import lexicon

GAP = "..."
AND = "&"  # "osmosis & water": both in one sentence, in any order
_PARTS = re.compile(r"\.\.\.|(?<=\s)&(?=\s)")
MAX_GAP = 5  # keys allowed between the parts of an "A ... B" phrase
MAX_TOGETHER = 6  # ways of taking one "A & B" phrase in one sentence

ION_KEYS = {
    "na": "sodium", "na+": "sodium", "sodium": "sodium",
    "k": "potassium", "k+": "potassium", "potassium": "potassium",
    "cl": "chloride", "cl-": "chloride", "chloride": "chloride",
    "ca": "calcium", "ca2": "calcium", "ca2+": "calcium", "ca++": "calcium",
    "calcium": "calcium",
}  # fmt: skip
SKIP_DET = {"a", "an", "the"}
ARROWS = {"->", "<-"}


@dataclass(frozen=True)
class Hit:
    """One place where a rubric phrase or pattern fired."""

    kind: str  # "concept", "misconception" or "term" (a claim's subject/object)
    owner: str  # concept id, misconception id, or "<misconception>#<claim>:<s|o>"
    rule: str  # "phrase: ...", "pattern: ...", with a spelling note when corrected
    start: int  # token index
    end: int  # token index, exclusive
    corrected: tuple[str, ...] = ()
    # token spans of the parts of an "A ... B" phrase; empty for a contiguous match
    parts: tuple[tuple[int, int], ...] = ()

    def span(self, doc: Doc) -> Span:
        return doc[self.start : self.end]

    def root(self, doc: Doc) -> Token:
        return span_root(doc, self.start, self.end)

    @property
    def together(self) -> bool:
        """An "A & B" phrase: its parts may stand anywhere in the sentence, so the words
        between them are not the mention's."""
        return f" {AND} " in self.rule

    def predicate(self, doc: Doc) -> Token:
        """The token whose polarity is the mention's: for "A ... B" phrases the last verb or
        adjective among the parts' roots ("channels ... open"), else the last part's root."""
        if not self.parts:
            return self.root(doc)
        roots = [span_root(doc, start, end) for start, end in self.parts]
        verbs = [r for r in roots if r.pos_ in {"VERB", "AUX", "ADJ"}]
        if not verbs and not self.together:
            whole = span_root(doc, self.start, self.end)
            if whole.pos_ in {"VERB", "AUX"}:
                return whole  # "water ... into ... cell" in "hardly any water GOES into the cell"
        return (verbs or roots)[-1]

    def anchors(self, doc: Doc) -> list[Token]:
        """Tokens that stand for the mention in the parse: the span's root, then each part's
        (only the parts' for an "A & B" phrase)."""
        out = [] if self.together else [self.root(doc)]
        for start, end in self.parts:
            r = span_root(doc, start, end)
            if all(r.i != t.i for t in out):
                out.append(r)
        return out

    def token_spans(self) -> tuple[tuple[int, int], ...]:
        return self.parts or ((self.start, self.end),)

    def overlaps(self, other: Hit) -> bool:
        return any(a < d and c < b for a, b in self.token_spans() for c, d in other.token_spans())


def span_root(doc: Doc, start: int, end: int) -> Token:
    """The token of doc[start:end] whose head lies outside it (Span.root, without a Span)."""
    first = doc[start]
    if end - start == 1:
        return first
    for i in range(start, end):
        tok = doc[i]
        head = tok.head.i
        if head == i or not start <= head < end:
            return tok
    return first


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    # (kind, owner, phrase text, remaining gap parts, window)
    ends: list[tuple[str, str, str, tuple[tuple[str, ...], ...], Window | None]] = field(default_factory=list)


class Spelling:
    """Corrects near misses of rubric words that are not themselves English words."""

    def __init__(self, targets: Iterable[str], known_words: frozenset[str]):
        self.known = known_words
        by_first: dict[str, list[str]] = {}
        for w in set(targets):
            if len(w) >= 5 and w.isalpha():
                by_first.setdefault(w[0], []).append(w)
        self.by_first = by_first
        self.targets = set(targets)
        self._cache: dict[str, str | None] = {}

    def inflected(self, word: str) -> str | None:
        """A rubric word this one inflects ('depolarizes', 'depolarizing' -> 'depolarize')."""
        for suffix, add in (
            ("s", ""),
            ("es", ""),
            ("ed", ""),
            ("d", ""),
            ("ing", ""),
            ("ing", "e"),
        ):
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                base = word[: -len(suffix)] + add
                if base in self.targets:
                    return base
        return None

    def correct(self, word: str) -> str | None:
        if word in self._cache:
            return self._cache[word]
        if word in self.targets:
            return None  # a rubric word is spelled right
        best = None
        if word.isalpha() and word not in self.known:
            # a key held down: "gapp", "ppath", "ssame"
            for k in range(1, len(word)):
                if word[k] == word[k - 1] and (word[:k] + word[k + 1 :]) in self.targets:
                    best = word[:k] + word[k + 1 :]
                    break
        if best is None and word.endswith("s") and len(word) > 5 and word not in self.known:
            best = self.correct(word[:-1])  # "chanels" -> "chanel" -> "channel"
        if (
            best is None
            and len(word) >= 5
            and word.isalpha()
            and word not in self.known
            and word not in self.targets
        ):
            limit = 1 if len(word) < 8 else 2
            best_d = limit + 1
            for t in self.by_first.get(word[0], ()):
                if abs(len(t) - len(word)) > limit:
                    continue
                d = _osa_distance(word, t, limit)
                if d < best_d or (d == best_d and best is not None and t < best):
                    best, best_d = t, d  # ties go to the first in alphabetical order: same every run
        if len(self._cache) < 50_000:
            self._cache[word] = best
        return best


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (transpositions count 1), cut off above limit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


_H = StringStore()
_ARROW_IDS = {_H.add(a) for a in ARROWS}
_SKIP_DET_IDS = {_H.add(w) for w in SKIP_DET}
# third-person possessives point back ("against their gradient"); "your temperature" keeps "your"
_SKIP_POSS_IDS = {_H.add(w) for w in ("its", "their", "his", "her", "whose")}
_POSS_TAG = _H.add("PRP$")
_NEG_DEP = _H.add("neg")
_HAVE = _H.add("have")
_BE = _H.add("be")
_VBN = _H.add("VBN")
_DEGREE_TAGS = {"JJR", "JJS", "RBR", "RBS"}
_KEYED_ATTRS = [LOWER, LEMMA, POS, TAG, DEP, SENT_START, IS_PUNCT, IS_SPACE, ORTH]


CLAUSE_WORDS = lexicon.words("clause_words")
_CLAUSE_IDS = {_H.add(w) for w in CLAUSE_WORDS}
_THEN = _H.add("then")
_CC_IDS = {_H.add(w) for w in ("and", "or")}
_GAP_ADVERB_IDS = {_H.add(w) for w in lexicon.words("gap_adverbs")}
_NOT = _H.add("not")
_BUT = _H.add("but")
_NPADVMOD = _H.add("npadvmod")  # "a LOT less negative"
_ITEM_BREAKS = {_H.add(w) for w in (",", ";", "\n", "->")}
_MAY_OPEN = _CLAUSE_IDS | _CC_IDS | {_THEN, _NOT}


def _opens_clause(tok: Token) -> bool:
    """Where a new clause starts: "because", "so", "but", ";", "then" after a comma or
    "and", or an "and" before a verb with a subject of its own ("... rises, and the penny
    scratches it"). "The mRNA is then read" opens nothing."""
    if tok.lower == _THEN:
        # "the mRNA is then read", "the mRNA then goes": an adverb inside a verb phrase
        prev = tok.nbor(-1) if tok.i > 0 else None
        nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
        inside = (prev is not None and prev.pos == AUX) or (nxt is not None and nxt.pos_ in {"VERB", "AUX"})
        return not inside
    if tok.lower == _BUT and any(t.lower == _NOT for t in tok.doc[max(tok.sent.start, tok.i - 4) : tok.i]):
        return False  # "not closed but open": one clause, the "not" is denied by "but"
    if tok.lower in _CLAUSE_IDS:
        return True
    if tok.lower == _NOT:
        return tok.i > 0 and tok.nbor(-1).text == ","  # "connected to the negative, not the positive"
    if tok.lower in _CC_IDS and tok.dep_ == "cc":
        return any(
            c.i > tok.i
            and c.dep_ == "conj"
            and c.pos_ in {"VERB", "AUX"}
            and any(g.dep_ in {"nsubj", "nsubjpass", "expl"} for g in c.children)
            for c in tok.head.children
        )
    return False


def skip_token(tok: Token) -> bool:
    """Articles, auxiliaries and "be", possessives and punctuation carry no rubric meaning."""
    nxt = tok.nbor().tag if tok.i + 1 < len(tok.doc) else 0
    return _skips(tok.lower, tok.lemma, tok.pos, tok.tag, tok.dep, tok.is_punct, tok.is_space, tok.orth, nxt)


def _skips(
    lower: int, lemma: int, pos: int, tag: int, dep: int, punct: bool, space: bool, orth: int, next_tag: int
) -> bool:
    """skip_token on a token's integer attributes: this runs for every token of every answer."""
    if punct or space:
        return orth not in _ARROW_IDS
    if lemma == _BE:
        return True  # "there is a gap": a copula or an auxiliary, it says nothing of its own
    if pos == AUX and dep != _NEG_DEP:
        # "has" is a verb of its own in "a rock has one mineral", an auxiliary in "has moved"
        return next_tag == _VBN if lemma == _HAVE else True
    if lower in _SKIP_DET_IDS:
        return pos == DET  # "bulb A" is a name, not an article
    return tag == _POSS_TAG and lower in _SKIP_POSS_IDS


def base_keys(tok: Token, phrase: bool = False) -> tuple[str, ...]:
    """A token's match keys: its lemma and its lower-case form, ions unified. In a rubric
    phrase a comparative stays itself ("colder" must not meet "cold"); in an answer it
    meets both."""
    lower = tok.lower_
    ion = ION_KEYS.get(lower) or ION_KEYS.get(lower.rstrip("+-"))
    if ion:
        return (ion,)
    if phrase and tok.tag_ in _DEGREE_TAGS:
        return (lower,)
    lemma = tok.lemma_.lower()
    return (lemma,) if lemma == lower else (lemma, lower)


@dataclass
class Keyed:
    """The answer as a sequence of match keys, with the token each came from."""

    tokens: list[int]  # token index per key position
    keys: list[tuple[str, ...]]
    corrected: dict[int, str]  # token index -> corrected word
    sent_of: list[int]  # sentence number per key position
    clause_of: list[int] = field(default_factory=list)  # clause number per key position
    item_of: list[int] = field(default_factory=list)  # list item number per key position


class CompiledRubric:
    """A rubric compiled against one pipeline's vocab: built once, used for every answer."""

    def __init__(self, rubric: Rubric, nlp: Language, known_words: frozenset[str]):
        self.rubric = rubric
        self.root = _Node()
        self.matcher = Matcher(nlp.vocab, validate=True)
        self._pattern_rules: dict[str, tuple[str, str, str]] = {}
        self._literals: set[str] = set()  # words one of which every pattern needs
        self._literal_ids: set[int] | None = None
        self._targets: set[int] | None = None
        # "A & B" phrases: (kind, owner, phrase, keys of each part)
        self.together: list[tuple[str, str, str, list[list[tuple[str, ...]]]]] = []
        self._always = False  # some pattern needs no literal word: always run the matcher
        phrases: list[tuple[str, str, str]] = []  # (kind, owner, phrase)
        self.windows: dict[str, Window | None] = {}
        for c in rubric.concepts:
            phrases += [("concept", c.id, p) for p in c.phrases]
            phrases += [("exclude", c.id, p) for p in c.not_]
            self.windows[c.id] = c.window
            self._add_patterns("concept", c.id, c.patterns, f"concepts '{c.id}'")
        for m in rubric.misconceptions:
            self.windows[m.id] = m.window
            phrases += [("misconception", m.id, p) for p in m.phrases]
            self._add_patterns("misconception", m.id, m.patterns, f"misconceptions '{m.id}'")
            for i, claim in enumerate(m.claims):
                phrases += [("term", f"{m.id}#{i}:s", p) for p in claim.subject]
                phrases += [("term", f"{m.id}#{i}:o", p) for p in claim.object]
        # every phrase part is tagged and lemmatized in one batch; the parser is not needed
        parts = sorted({part.strip() for _, _, p in phrases for part in _PARTS.split(p) if part.strip()})
        disable = [name for name in ("parser", "senter") if name in nlp.pipe_names]
        keys_of = {
            part: [base_keys(t, phrase=True) for t in doc if not skip_token(t)]
            for part, doc in zip(parts, nlp.pipe(parts, disable=disable), strict=True)
        }
        targets: set[str] = set()
        for kind, owner, phrase in phrases:
            self._add_phrase(kind, owner, phrase, keys_of, targets)
        self.spelling = Spelling(targets, known_words)
        self._keys_cache: dict[tuple[str, str], tuple[tuple[str, ...], str | None]] = {}

    # --- compiling ----------------------------------------------------------------

    def _add_phrase(
        self,
        kind: str,
        owner: str,
        phrase: str,
        keys_of: dict[str, list[tuple[str, ...]]],
        targets: set[str],
    ) -> None:
        part_keys = [keys_of[p.strip()] for p in _PARTS.split(phrase) if p.strip() and keys_of[p.strip()]]
        if not part_keys:
            return  # a phrase of only skipped words ("the") can never match
        for keys in part_keys:
            for alts in keys:
                targets.update(alts)
        if f" {AND} " in phrase:
            self.together.append((kind, owner, phrase, part_keys))
            return
        # every combination of lemma/lower alternatives of the first part goes into the trie
        rest = tuple(tuple(alts[0] for alts in k) for k in part_keys[1:])
        window = self.windows.get(owner.split("#", 1)[0])
        for seq in _combinations(part_keys[0]):
            node = self.root
            for key in seq:
                node = node.children.setdefault(key, _Node())
            node.ends.append((kind, owner, phrase, rest, window))

    def _add_patterns(self, kind: str, owner: str, patterns: list, where: str) -> None:
        for i, pattern in enumerate(patterns):
            name = f"{kind}|{owner}|{i}"
            try:
                self.matcher.add(name, [pattern])
            except Exception as exc:  # spaCy raises several types for bad patterns
                first = str(exc).strip().splitlines()
                detail = next((ln for ln in first if ln.strip()), "not a valid pattern")
                raise RubricError(
                    f"rubric '{self.rubric.id}': {where}.patterns[{i}] is not a valid spaCy "
                    f"Matcher pattern ({detail.strip()[:200]}); see spaCy's Matcher docs"
                ) from None
            self._pattern_rules[name] = (kind, owner, f"pattern: {pattern}")
            needed = _required_literals(pattern)
            if needed is None:
                self._always = True
            else:
                self._literals |= needed

    # --- matching -----------------------------------------------------------------

    def keyed(self, doc: Doc) -> Keyed:
        tokens: list[int] = []
        keys: list[tuple[str, ...]] = []
        corrected: dict[int, str] = {}
        sent_of: list[int] = []
        clause_of: list[int] = []
        cache = self._keys_cache
        targets = self._target_ids(doc)
        item_of: list[int] = []
        sent_no = clause_no = item_no = -1
        rows = doc.to_array(_KEYED_ATTRS).tolist()
        for i, (lower, lemma, pos, tag, dep, start, punct, space, orth) in enumerate(rows):
            if i == 0 or start == 1:
                sent_no += 1
                clause_no += 1
                item_no += 1
            elif lower in _MAY_OPEN and _opens_clause(doc[i]):
                clause_no += 1
            if orth in _ITEM_BREAKS or (space and "\n" in doc[i].text):
                item_no += 1
            next_tag = rows[i + 1][3] if i + 1 < len(rows) else 0
            if _skips(lower, lemma, pos, tag, dep, punct, space, orth, next_tag):
                continue
            if (pos == _ADV or dep == _NPADVMOD) and lower in _GAP_ADVERB_IDS and lower not in targets:
                continue  # "then", "also": skipped, unless the rubric's phrases use the word
            entry = cache.get((lower, lemma))
            if entry is None:
                tok = doc[i]
                entry = self._keys_for(tok, tok.lower_, tok.lemma_)
                if len(cache) < 200_000:
                    cache[(lower, lemma)] = entry
            k, fix = entry
            if fix:
                corrected[i] = fix
            tokens.append(i)
            keys.append(k)
            sent_of.append(sent_no)
            clause_of.append(clause_no)
            item_of.append(item_no)
        return Keyed(tokens, keys, corrected, sent_of, clause_of, item_of)

    def _target_ids(self, doc: Doc) -> set[int]:
        if self._targets is None:
            self._targets = {doc.vocab.strings.add(w) for w in self.spelling.targets}
        return self._targets

    def _keys_for(self, tok: Token, lower: str, lemma: str) -> tuple[tuple[str, ...], str | None]:
        """Match keys of a word form, and the rubric word it misspells (if it does)."""
        k = base_keys(tok)
        american = _american(lemma.lower())
        if american != lemma.lower() and american in self.spelling.targets:
            return (*k, american), None  # "depolarise" is the rubric's "depolarize"
        stem = self.spelling.inflected(lower)
        if stem:
            return (k if stem in k else (*k, stem)), None
        if lemma.lower() in self.spelling.known:
            return k, None
        fix = self.spelling.correct(lower)
        return ((*k, fix), fix) if fix else (k, None)

    def find(self, doc: Doc, keyed: Keyed) -> list[Hit]:
        hits: list[Hit] = []
        n = len(keyed.keys)
        present = {k for alts in keyed.keys for k in alts}
        starts = self.root.children
        for i in range(n):
            # most words start no phrase: skip them before building a frontier
            frontier = [(starts[k], i + 1) for k in keyed.keys[i] if k in starts]
            while frontier:
                node, j = frontier.pop()
                if node.ends and j > i:
                    for kind, owner, phrase, rest, window in node.ends:
                        if rest and not all(part[0] in present for part in rest):
                            continue  # a later part's first word is nowhere in the answer
                        spans = self._match_rest(keyed, j, rest, keyed.sent_of[i], window)
                        if spans is None:
                            continue
                        spans = [(i, j), *spans]
                        toks = [t for a, b in spans for t in keyed.tokens[a:b]]
                        fixed = tuple(
                            f"{doc[t].text}->{keyed.corrected[t]}" for t in toks if t in keyed.corrected
                        )
                        parts = (
                            tuple((keyed.tokens[a], keyed.tokens[b - 1] + 1) for a, b in spans)
                            if len(spans) > 1
                            else ()
                        )
                        rule = f"phrase: {phrase}"
                        hits.append(Hit(kind, owner, rule, toks[0], toks[-1] + 1, fixed, parts))
                if j < n and keyed.sent_of[j] == keyed.sent_of[i]:
                    for key in keyed.keys[j]:
                        child = node.children.get(key)
                        if child is not None:
                            frontier.append((child, j + 1))
        if self.together:
            hits += self._find_together(keyed)
        for match_id, start, end in self._pattern_matches(doc):
            name = doc.vocab.strings[match_id]
            kind, owner, rule = self._pattern_rules[name]
            hits.append(Hit(kind, owner, rule, start, end))
        return _dedupe(hits)

    def _find_together(self, keyed: Keyed) -> list[Hit]:
        """ "A & B" phrases: every part somewhere in one sentence, in any order."""
        sentences: dict[int, list[int]] = {}
        for pos, sent in enumerate(keyed.sent_of):
            sentences.setdefault(sent, []).append(pos)
        hits = []
        present = {k for alts in keyed.keys for k in alts}
        for kind, owner, phrase, parts in self.together:
            if not all(present.intersection(part[0]) for part in parts):
                continue  # some part's first word is nowhere in the answer
            for positions in sentences.values():
                places = []
                for part in parts:
                    at = [p for p in positions if _alts_at(keyed, p, part, positions[-1])]
                    if not at:
                        break
                    places.append([(keyed.tokens[p], keyed.tokens[p + len(part) - 1] + 1) for p in at])
                else:
                    # every way of taking the parts (a few): the checker credits the concept
                    # if one of them is asserted ("A, which needs no energy, and B, which
                    # uses energy": B & energy is the second energy)
                    for combo in itertools.islice(itertools.product(*places), MAX_TOGETHER):
                        spans = sorted(set(combo))
                        overlapping = any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False))
                        if len(spans) < len(combo) or overlapping:
                            continue
                        hits.append(
                            Hit(kind, owner, f"phrase: {phrase}", spans[0][0], spans[-1][1], (), tuple(spans))
                        )
        return hits

    def _pattern_matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """Run the token patterns, but only where they can match: a pattern that needs a
        literal word ("mv", "rest") is skipped unless the answer has that word."""
        if not len(self.matcher):
            return []
        if not self._always:
            if self._literal_ids is None:
                strings = doc.vocab.strings
                self._literal_ids = {strings.add(w) for w in self._literals}
            if not self._literal_ids.intersection(doc.to_array([LOWER, LEMMA]).ravel().tolist()):
                return []
        return self.matcher(doc)

    def _match_rest(
        self, keyed: Keyed, j: int, rest: tuple[tuple[str, ...], ...], sent: int, window: Window | None = None
    ) -> list[tuple[int, int]] | None:
        """Match the parts after each '...' within the phrase's window (MAX_GAP words in one
        clause by default); return their key spans."""
        limit = window if isinstance(window, int) else MAX_GAP if window is None else len(keyed.keys)
        bounds = {"sentence": keyed.sent_of, "item": keyed.item_of}.get(str(window), keyed.clause_of)
        pos = j
        spans = []
        for part in rest:
            found = None
            unit = bounds[pos - 1]
            for start in range(pos, min(pos + limit + 1, len(keyed.keys))):
                if bounds[start] != unit or keyed.sent_of[start] != sent or ARROWS & set(keyed.keys[start]):
                    break  # a gap never crosses its window, a sentence or a student's arrow
                if _seq_at(keyed, start, part, sent):
                    found = start + len(part)
                    spans.append((start, found))
                    break
            if found is None:
                return None
            pos = found
        return spans


_BRITISH = re.compile(r"(?<=[a-z]{3})is(e|ed|es|ing|ation|ations)$")


def _american(word: str) -> str:
    """depolarise -> depolarize, hydrolysation -> hydrolyzation: one spelling for matching."""
    return _BRITISH.sub(lambda m: "iz" + m.group(1), word)


def _alts_at(keyed: Keyed, start: int, part: list[tuple[str, ...]], last: int) -> bool:
    if start + len(part) - 1 > last:
        return False
    return all(any(a in keyed.keys[start + k] for a in alts) for k, alts in enumerate(part))


def _seq_at(keyed: Keyed, start: int, seq: tuple[str, ...], sent: int) -> bool:
    if start + len(seq) > len(keyed.keys):
        return False
    return all(keyed.sent_of[start + k] == sent and seq[k] in keyed.keys[start + k] for k in range(len(seq)))


def _combinations(keys: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    for alts in keys:
        out = [prefix + (a,) for prefix in out for a in alts][:64]
    return out


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """Per owner, keep the best of overlapping hits: the longest contiguous phrase (a phrase
    inside a longer one loses), and of "A ... B" phrases the tightest (so "water ... enter"
    starts at the "water" nearest to "enter", not at an earlier one)."""
    by_owner: dict[str, list[Hit]] = {}
    for h in hits:
        by_owner.setdefault(h.owner, []).append(h)
    kept: list[Hit] = []
    for group in by_owner.values():
        group.sort(key=lambda h: (bool(h.parts), (h.end - h.start) * (1 if h.parts else -1), h.start))
        chosen: list[Hit] = []
        for h in group:
            if h.together or not any(h.start < c.end and c.start < h.end for c in chosen):
                chosen.append(h)  # each way of taking an "A & B" phrase is kept
        kept += chosen
    kept.sort(key=lambda h: (h.start, h.end))
    return kept


def _required_literals(pattern: list[dict[str, Any]]) -> set[str] | None:
    """Lower-case words of which a token pattern needs at least one, or None if unknown."""
    for spec in pattern:
        if spec.get("OP") in {"?", "*", "!"}:
            continue
        for attr in ("LOWER", "ORTH", "TEXT", "LEMMA", "NORM"):
            value = spec.get(attr)
            if isinstance(value, str):
                return {value.lower()}
            if isinstance(value, dict) and isinstance(value.get("IN"), list) and len(value) == 1:
                return {str(v).lower() for v in value["IN"]}
    return None
