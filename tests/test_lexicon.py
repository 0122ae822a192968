"""The word lists are data: each file says what it is for, and the checker reads them."""

import pytest

from grader.nlp import lexicon

NAMES = lexicon.names()


def test_there_are_lists():
    assert {"negators", "relating_verbs", "cause_marks", "effect_marks", "openers", "gap_adverbs"} <= set(
        NAMES
    )


@pytest.mark.parametrize("name", NAMES)
def test_each_list_has_a_header_and_clean_entries(name):
    from importlib import resources

    text = resources.files("grader.nlp.lexicon").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    assert text.startswith("# "), f"{name}.txt must open with a comment saying what it is for"
    assert "Read by grader/" in text, f"{name}.txt must say which module reads it"
    entries = lexicon.lines(name)
    assert entries, f"{name}.txt is empty"
    assert len(set(entries)) == len(entries), f"{name}.txt lists an entry twice"
    assert all(e == e.strip() and "  " not in e for e in entries)


def test_pairs_and_phrases():
    assert lexicon.pairs("function_word_fixes")["becuase"] == "because"
    assert ("little", "or", "no") in lexicon.phrases("negative_quantifiers")
    first = lexicon.words("negative_quantifiers_first")
    assert all(
        p[0] in first or p[0] in lexicon.words("negators") for p in lexicon.phrases("negative_quantifiers")
    )
