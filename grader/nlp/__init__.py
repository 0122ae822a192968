"""The linguistics of the checker, on spaCy's own idioms.

- `pipeline`: the spaCy pipeline, loaded once per process; its tokenizer normalizes
  science notation first (`normalize`), so offsets map back to the student's text.
- `lexicon/`: every word list (negators, relating verbs, connectives, ...) as data.
- `mentions`: a rubric compiled once into phrase keys and token patterns; where its
  concepts, misconceptions and claim terms are mentioned.
- `clauses`: the clause/argument model: each predicate with its subject, object,
  agent, obliques, and how its clause hangs on the clause above (cause, effect, ...).
- `polarity`: is a mention asserted, denied, counterfactual, a contrast, hypothetical?
- `relations`: do two mentions argue a link, and which way round?
- `claims`: misconceptions stated as who-does-what.
- `extensions`: the results as `Span._.concept`, `._.polarity`, `._.clause`, `._.asserted`.
"""

from .normalize import Normalized, normalize
from .pipeline import load_pipeline, pipeline_name

__all__ = ["Normalized", "load_pipeline", "normalize", "pipeline_name"]
