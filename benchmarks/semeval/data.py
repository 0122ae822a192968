"""Reading SemEval-2013 Task 7 (SciEntsBank and Beetle) where it lies, never copied here.

The official release is a zip of XML files, one per question: the question text,
its reference answers and the student answers, each with an `accuracy` label
(3-way: correct / contradictory / incorrect). SciEntsBank also ships its 5-way
labels as parquet files (read with pyarrow). Both benchmark scripts read through
this module; nothing is unzipped to disk.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ZIP_NAME = "semeval-3way.zip"
PARQUET_DIR = "scientsbank_5way_parquet"

FIVE_WAY = ["correct", "contradictory", "partially_correct_incomplete", "irrelevant", "non_domain"]
FIVE_WAY_SCORE = {"correct": 2, "partially_correct_incomplete": 1}
THREE_WAY = ["correct", "contradictory", "incorrect"]
# split -> (parquet file, folder name in the zip)
SPLITS = {
    "train": ("train-00001.parquet", "training/"),
    "test-ua": ("test-ua-00001.parquet", "test-unseen-answers"),
    "test-uq": ("test-uq-00001.parquet", "test-unseen-questions"),
}
# corpus name as the zip spells it
CORPORA = {"sciEntsBank": "SciEntsBank", "beetle": "Beetle"}


@dataclass
class Item:
    """One student answer and its label (5-way or 3-way, as read)."""

    id: str
    question: str
    answer: str
    label: str

    @property
    def score(self) -> float:
        return float(FIVE_WAY_SCORE.get(self.label, 2 if self.label == "correct" else 0))


@dataclass
class Question:
    """One question of the 3-way release: its text and reference answers."""

    id: str  # as the question's <question id=...> gives it: EM_33b, CLOSED_PATH_EXPLAIN
    corpus: str  # "sciEntsBank" or "beetle"
    text: str
    references: list[str]

    @property
    def rubric_stem(self) -> str:
        """The rubric file name for this question: EM_33b -> em-33b, CLOSED_PATH_EXPLAIN ->
        closed-path-explain."""
        return rubric_stem(self.id)


def rubric_stem(question_id: str) -> str:
    return question_id.lower().replace("_", "-").replace(".", "-")


def data_dir(arg: str | None) -> Path:
    """--data DIR, else $GRADER_SEMEVAL_DIR, else ../shared/data/semeval2013-task7 beside the repo."""
    if arg:
        return Path(arg)
    if os.environ.get("GRADER_SEMEVAL_DIR"):
        return Path(os.environ["GRADER_SEMEVAL_DIR"])
    return ROOT.parent / "shared" / "data" / "semeval2013-task7"


def explicit_data_dir(arg: str | None) -> bool:
    """True when the user named the folder (so its absence is their mistake, not a skip)."""
    return bool(arg or os.environ.get("GRADER_SEMEVAL_DIR"))


def question_of(answer_id: str) -> str:
    """SciEntsBank answer id -> question id: EM.33b.255.1 -> EM.33b."""
    return answer_id.rsplit(".", 2)[0]


def _in_split(name: str, corpus: str, split: str) -> bool:
    if f"/3way/{corpus}/" not in name or not name.endswith(".xml"):
        return False
    if split == "train":
        return name.startswith(SPLITS["train"][1])
    return f"/{SPLITS[split][1]}/" in name


def load_five_way(folder: Path, questions: dict[str, str], test: str) -> dict[str, list[Item]]:
    """SciEntsBank's 5-way labels for the training split and `test`, for the given questions
    (question ids as in answer ids: EM.33b)."""
    import pyarrow.parquet as pq

    splits = {}
    for split in ("train", test):
        rows = pq.read_table(folder / PARQUET_DIR / SPLITS[split][0]).to_pylist()
        splits[split] = [
            Item(r["id"], question_of(r["id"]), r["student_answer"], FIVE_WAY[r["label"]])
            for r in rows
            if question_of(r["id"]) in questions
        ]
    return splits


def load_three_way(folder: Path, questions: dict[str, str], test: str) -> dict[str, list[Item]]:
    """SciEntsBank's 3-way labels from the zip for the training split and `test`."""
    splits: dict[str, list[Item]] = {"train": [], test: []}
    with zipfile.ZipFile(folder / ZIP_NAME) as zf:
        for name in zf.namelist():
            if _in_split(name, "sciEntsBank", "train"):
                split = "train"
            elif _in_split(name, "sciEntsBank", test):
                split = test
            else:
                continue
            root = ET.fromstring(zf.read(name))
            for sa in root.iter("studentAnswer"):
                qid = question_of(sa.get("id", ""))
                if qid in questions:
                    splits[split].append(
                        Item(sa.get("id", ""), qid, (sa.text or "").strip(), sa.get("accuracy", ""))
                    )
    return splits


def load_corpus(folder: Path, corpus: str, split: str) -> tuple[list[Question], list[Item]]:
    """Every question of one corpus's split with its reference answers, and every student
    answer with its 3-way label; an answer's `question` is its question's id. Each entry
    counts once (Beetle's `count` attribute, how many students wrote it, is not used,
    as in the official scoring)."""
    if corpus not in CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}; expected one of {sorted(CORPORA)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
    questions: list[Question] = []
    items: list[Item] = []
    with zipfile.ZipFile(folder / ZIP_NAME) as zf:
        for name in sorted(zf.namelist()):
            if not _in_split(name, corpus, split):
                continue
            root = ET.fromstring(zf.read(name))
            qid = root.get("id", "")
            text = " ".join((root.findtext("questionText") or "").split())
            refs = [" ".join((r.text or "").split()) for r in root.iter("referenceAnswer")]
            questions.append(Question(qid, corpus, text, [r for r in refs if r]))
            for sa in root.iter("studentAnswer"):
                items.append(Item(sa.get("id", ""), qid, (sa.text or "").strip(), sa.get("accuracy", "")))
    return questions, items
