"""The student page end to end: `grader serve` in a subprocess, driven by headless Chromium.

Uses Debian's chromium (/usr/bin/chromium) through Playwright; Playwright's own browser
download is never used. Without the browser the tests skip on a developer's machine
and fail under CI (CI=true), so a CI run cannot pass without them.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ModuleNotFoundError:  # the fixture below skips (or fails under CI) with the reason
    expect = None

from grader.checker import MAX_ANSWER_CHARS, Checker
from grader.io.catalog import load_folder
from grader.nlp import load_pipeline

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
SEED = "ap-bio/membrane-potential"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

STRONG = (
    "The Na+/K+ pump uses ATP to actively transport 3 Na+ out of the cell and 2 K+ into it. "
    "This builds a concentration gradient. This gradient stores energy, so when the sodium "
    "channels open, Na+ rushes in, which depolarizes the membrane."
)
GAP = (
    "The Na+/K+ pump uses ATP to pump 3 Na+ out and 2 K+ in, which makes the inside of the cell "
    "negative. Then the membrane depolarizes and an action potential fires."
)
PARTIAL = "The sodium-potassium pump moves sodium out and potassium in, so there is more Na+ outside."


def _missing(what: str) -> None:
    message = f"{what}; install it (CI installs it in .ci/run) to run the browser tests"
    if os.environ.get("CI"):
        pytest.fail(f"{message}. CI must run these tests, so they fail instead of skipping.")
    pytest.skip(message)


@pytest.fixture(scope="module")
def playwright_api():
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is absent (Debian package 'chromium')")
    try:
        from playwright.sync_api import sync_playwright
    except ModuleNotFoundError:
        _missing("the Python package 'playwright' is not installed")
    with sync_playwright() as p:
        yield p


class Server:
    """`grader serve --port 0` in a subprocess; its output is collected as it runs."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.cli.main", "serve", "--rubrics", str(RUBRICS), "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self.url: str | None = None
        self._found = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._found.wait(120) or self.url is None:
            self.stop()
            raise RuntimeError("grader serve did not print its address:\n" + self.log)
        self._wait_ready()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            m = re.search(r"open (http://\S+/) in your browser", line)
            if m:
                self.url = m.group(1)
                self._found.set()
        self._found.set()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "api/rubrics", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("grader serve never answered:\n" + self.log)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser(playwright_api):
    b = playwright_api.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    pg.outside = []  # every request that is not to our server
    pg.dialogs = []
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if "Content Security Policy" in m.text else None)
    pg.on("request", lambda r: None if r.url.startswith(server.url) else pg.outside.append(r.url))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(server.url)
    pg.wait_for_selector("#question:not([disabled])")
    yield pg
    assert pg.errors == [], "the page's script threw or broke its own security policy"
    assert pg.outside == [], "the page fetched something from outside the server"
    context.close()


@pytest.fixture(scope="module")
def seed_checker():
    return Checker(load_folder(RUBRICS)[SEED], load_pipeline())


def check_answer(pg, answer, rubric=SEED):
    pg.select_option("#question", rubric)
    pg.fill("#answer", answer)
    pg.get_by_role("button", name="Check my answer").click()
    pg.wait_for_selector("#result:not([hidden])")
    expect(pg.locator("#check")).to_have_text("Check my answer")


def marks_of(pg, concept):
    return pg.locator(f"#marked mark[data-concepts~='{concept}']").all_inner_texts()


# --- the whole path a student takes --------------------------------------------------


def test_questions_and_prompt_come_from_the_rubric_folder(page):
    options = page.locator("#question option")
    ids = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert sorted(ids) == sorted(load_folder(RUBRICS))
    page.select_option("#question", SEED)
    assert page.locator("#prompt").inner_text().startswith("Explain how a neuron establishes")


def test_a_strong_answer_shows_highlights_chain_and_feedback(page, seed_checker):
    check_answer(page, STRONG)
    expected = seed_checker.check(STRONG)

    # the score, as the checker gives it
    assert page.locator("#score-num").inner_text() == f"{expected.score:g}"
    assert page.locator("#score-max").inner_text() == f"{expected.max_score:g}"

    # each piece of evidence highlighted in its concept's colour
    assert "ATP" in marks_of(page, "atp")
    assert "Na+/K+ pump" in marks_of(page, "active_transport")
    assert "concentration gradient" in marks_of(page, "gradient")
    colours = {
        c: page.locator(f"#marked mark[data-concepts~='{c}']").first.evaluate(
            "m => getComputedStyle(m).backgroundColor"
        )
        for c in ("atp", "active_transport", "gradient")
    }
    assert len(set(colours.values())) == 3, colours

    # the chain: one box per concept in rubric order, a solid arrow per argued link
    boxes = page.locator("#chain .box")
    assert boxes.count() == len(expected.concepts)
    assert boxes.nth(0).inner_text().startswith("1")
    assert "ATP supplies the energy" in boxes.nth(0).inner_text()
    argued = [lk for lk in expected.links if lk.status == "present"]
    assert page.locator("#chain .conn.ok").count() == len(argued)
    assert page.locator("#chain .conn.gap").count() == len(expected.links) - len(argued)
    assert page.locator("#chain .conn.ok .conn-label").first.inner_text() == "“uses”"

    # the feedback sentences, in the checker's (chain) order
    assert page.locator("#feedback li").all_inner_texts() == [" ".join(s.split()) for s in expected.feedback]
    assert page.locator("#misconceptions-card").is_hidden()


def test_a_gap_in_the_reasoning_is_drawn_broken(page, seed_checker):
    answer = GAP
    expected = seed_checker.check(answer)
    assert expected.concept("channels_open").status == "missing"
    check_answer(page, answer)
    missing_box = page.locator("#chain li[data-concept='channels_open'] .box")
    assert "box-missing" in (missing_box.get_attribute("class") or "")
    assert "not yet" in missing_box.inner_text()
    # both links around the missing step are broken, the argued ones solid
    connectors = page.locator("#chain .conn")
    kinds = [("ok" if "ok" in c else "gap") for c in (x.get_attribute("class") for x in connectors.all())]
    assert kinds == ["ok", "ok", "gap", "gap"]
    assert page.locator("#chain .conn.gap .conn-label").first.inner_text() == "missing"
    assert "jumps from the ion gradient" in page.locator("#feedback").inner_text()
    page.locator("#marked mark[data-concepts~='gradient']").first.focus()
    assert "Point 3: An ion concentration" in page.locator("#tip").inner_text()
    if os.environ.get("GRADER_WEB_SCREENSHOT"):  # refreshes the README's picture, docs/web.png
        page.screenshot(path=os.environ["GRADER_WEB_SCREENSHOT"], full_page=True)


def test_focus_on_a_highlight_tells_which_point_and_phrase(page):
    check_answer(page, STRONG)
    page.locator("#marked mark[data-concepts~='atp']").first.focus()
    tip = page.locator("#tip")
    assert tip.is_visible()
    text = tip.inner_text()
    assert "Point 1: ATP supplies the energy" in text
    assert "the rubric phrase “ATP”" in text
    page.keyboard.press("Escape")
    assert tip.is_hidden()
    page.locator("#marked mark[data-concepts~='active_transport']").first.hover()
    assert "Point 2: The Na+/K+ pump moves ions by active transport" in tip.inner_text()


def test_broken_links_and_misconceptions_are_shown(page):
    check_answer(page, "Active transport does not need ATP. Diffusion alone sets the resting potential.")
    assert page.locator("#misconceptions-card").is_visible()
    items = page.locator("#misconceptions li").all_inner_texts()
    assert any("Diffusion alone cannot build or keep the resting potential" in t for t in items)
    assert any("does not need ATP" in t for t in items)
    assert page.locator("#marked mark.mis").count() >= 1
    assert page.locator("#chain .box-negated").count() >= 1
    assert page.locator("#chain .conn.ok").count() == 0
    # the misconception's explanation is not repeated under "what to work on"
    first = page.locator("#feedback li").first.inner_text()
    assert first == "First, rethink the idea under “Check this idea” above."


def test_overlapping_evidence_of_two_concepts_renders_once_each(page, seed_checker):
    answer = "ATP -> Na+/K+ pump -> concentration gradient -> channels open -> depolarization"
    fb = seed_checker.check(answer)
    check_answer(page, answer)
    # the text is shown exactly once, whatever the overlaps
    assert page.locator("#marked").inner_text() == answer
    for c in fb.concepts:
        if c.status == "present":
            assert page.locator(f"#marked mark[data-concepts~='{c.id}']").count() >= 1, c.id


def test_offsets_are_characters_even_after_emoji(page):
    answer = "🧠🧪 The pump uses ATP to move Na+ out."
    check_answer(page, answer)
    assert "ATP" in marks_of(page, "atp")
    assert page.locator("#marked").inner_text() == answer


def test_student_text_is_shown_as_text_never_run(page):
    answer = '<script>alert(1)</script><img src=x onerror="alert(2)"> The pump uses ATP & "energy".'
    check_answer(page, answer)
    assert page.locator("#marked").inner_text() == answer
    assert page.locator("#marked script, #marked img").count() == 0
    assert page.locator("#marked mark[data-concepts~='atp']").count() == 1
    assert page.dialogs == []


def test_edit_and_check_again_keeps_the_text(page):
    check_answer(page, PARTIAL)
    first_score = page.locator("#score-num").inner_text()
    page.locator("#answer").press("End")
    page.locator("#answer").press_sequentially(" The pump uses ATP.")
    assert page.locator("#stale").is_visible()
    page.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#stale")).to_be_hidden()
    assert page.locator("#answer").input_value() == PARTIAL + " The pump uses ATP."
    assert page.locator("#score-num").inner_text() != first_score
    assert "ATP" in marks_of(page, "atp")
    # switching question and back restores the draft
    other = next(r for r in load_folder(RUBRICS) if r != SEED)
    page.select_option("#question", other)
    assert page.locator("#answer").input_value() == ""
    page.select_option("#question", SEED)
    assert page.locator("#answer").input_value() == PARTIAL + " The pump uses ATP."


def test_keyboard_only(page):
    page.keyboard.press("Tab")  # the question list
    assert page.evaluate("document.activeElement.id") == "question"
    page.keyboard.press("r")  # type-ahead: "Resting membrane potential ..."
    assert page.locator("#question").input_value() == SEED
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "answer"
    page.keyboard.type("The pump uses ATP to move ions.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#result:not([hidden])")
    assert "Checked:" in page.locator("#status").inner_text()
    page.keyboard.press("Tab")  # the button
    page.keyboard.press("Tab")  # the first highlight
    assert page.evaluate("document.activeElement.tagName") == "MARK"
    assert page.locator("#tip").is_visible()


def test_too_long_answer_is_explained_without_losing_it(page):
    page.fill("#answer", "a" * (MAX_ANSWER_CHARS + 1))
    assert "over" in (page.locator("#count").get_attribute("class") or "")
    page.get_by_role("button", name="Check my answer").click()
    error = page.locator("#error")
    assert error.is_visible()
    assert "20,000" in error.inner_text()
    assert len(page.locator("#answer").input_value()) == MAX_ANSWER_CHARS + 1


def test_phone_width_has_no_sideways_scroll_and_stacks_the_chain(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.goto(server.url)
    pg.wait_for_selector("#question:not([disabled])")
    check_answer(pg, STRONG)
    assert pg.evaluate("document.documentElement.scrollWidth") <= 360
    first, second = (pg.locator("#chain .box").nth(i).bounding_box() for i in (0, 1))
    assert second["y"] >= first["y"] + first["height"]
    context.close()


# --- a question in parts ----------------------------------------------------------------

ENZYMES = "ap-bio/enzyme-activity"
IN_PARTS = (
    "(a) The substrate fits into the active site because their shapes are complementary.\n"
    "(b) The enzymes die at high temperatures.\n"
    "(c) The rate will decrease, because the inhibitor binds to the active site."
)
UNMARKED = (
    "The substrate binds to the active site and this lowers the activation energy. "
    "When it gets too hot the enzyme is denatured."
)


@pytest.fixture(scope="module")
def enzyme_checker():
    return Checker(load_folder(RUBRICS)[ENZYMES], load_pipeline())


def test_a_question_in_parts_shows_each_parts_prompt_score_and_findings(page, enzyme_checker):
    expected = enzyme_checker.check(IN_PARTS)
    rubric = enzyme_checker.rubric
    page.select_option("#question", ENZYMES)
    assert (
        page.locator("#answer").get_attribute("placeholder")
        == "Start each part with its letter: (a) … (b) … (c) …"
    )
    check_answer(page, IN_PARTS, ENZYMES)
    assert page.locator("#score-num").inner_text() == f"{expected.score:g}"
    assert page.locator("#score-max").inner_text() == "7"
    # one card per part instead of one chain for the whole answer
    assert page.locator("#chain-card").is_hidden() and page.locator("#parts-note").is_hidden()
    assert page.locator("#parts .part-card").count() == len(rubric.parts) == 3
    for part, result in zip(rubric.parts, expected.parts, strict=True):
        card = page.locator(f"#part-{part.id}")
        view = expected.for_part(part.id)
        assert " ".join(card.locator("h3").text_content().split()) == (
            f"Part ({part.id}) {result.score:g} out of {result.max_score:g} points"
        )
        assert card.locator(".part-prompt").inner_text() == " ".join(part.prompt.split())
        # its own reasoning chain: this part's points only, numbered as in the legend
        boxes = card.locator(".box")
        assert boxes.count() == len(view.concepts)
        for box, c in zip(boxes.all(), view.concepts, strict=True):
            assert " ".join(c.label.split()) in box.inner_text()
            assert ("box-" + c.status) in (box.get_attribute("class") or "")
        argued = [lk for lk in view.links if lk.status == "present"]
        assert card.locator(".conn.ok").count() == len(argued)
        # its own mix-ups and what to work on, without the "(b) " the JSON carries
        assert card.locator(".part-mis").is_visible() == bool(view.misconceptions)
        explained = {m.feedback for m in view.misconceptions}
        sentences = [" ".join(x.split()) for x in view.feedback if x not in explained]
        if explained:
            sentences.insert(0, "First, rethink the idea under “Check this idea” above.")
        assert card.locator(".feedback li").all_inner_texts() == sentences
    assert "Enzymes are molecules" in page.locator("#part-b .part-mis").inner_text()
    assert page.locator("#misconceptions-card").is_hidden()
    # the highlights still point at the student's own text
    assert page.locator("#marked").inner_text() == IN_PARTS
    assert marks_of(page, "a.active_site_fit") == ["fits into the active site", "complementary"]
    assert "rate will decrease" in marks_of(page, "c.rate_decreases")
    assert "enzymes die" in page.locator("#marked mark.mis").all_inner_texts()
    page.locator("#marked mark[data-concepts~='c.rate_decreases']").first.focus()
    assert "The reaction rate decreases" in page.locator("#tip").inner_text()


def test_an_unmarked_answer_in_parts_is_said_to_be_read_whole_then_a_one_part_question(page):
    check_answer(page, UNMARKED, ENZYMES)
    note = page.locator("#parts-note")
    assert note.is_visible() and "your whole answer was read for every part" in note.inner_text()
    assert " ".join(page.locator("#part-a h3").text_content().split()) == "Part (a) 2 out of 2 points"
    # back to a one-part question: its chain again, no part cards, no note
    check_answer(page, STRONG)
    assert page.locator("#chain-card").is_visible()
    assert page.locator("#parts").is_hidden() and note.is_hidden()
    assert page.locator("#parts .part-card").count() == 0
    assert page.locator("#chain .box").count() == 5


def test_a_question_in_parts_fits_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.goto(server.url)
    pg.wait_for_selector("#question:not([disabled])")
    check_answer(pg, IN_PARTS, ENZYMES)
    assert pg.evaluate("document.documentElement.scrollWidth") <= 360
    first, second = (pg.locator("#part-b .box").nth(i).bounding_box() for i in (0, 1))
    assert second["y"] >= first["y"] + first["height"]
    context.close()


def test_server_logs_paths_but_never_answers(page, server):
    marker = "Quokka-7f3e the pump uses ATP"
    check_answer(page, marker)
    deadline = time.monotonic() + 5
    while "POST /api/check" not in server.log and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "POST /api/check" in server.log
    assert "Quokka" not in server.log
    assert "Traceback" not in server.log


def test_ctrl_c_stops_the_server_cleanly():
    s = Server()
    code = s.stop()
    assert code == 130, s.log
    assert "grader: interrupted" in s.log
