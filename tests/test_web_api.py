"""The web API in-process: what a student's page (or a script) gets back for each request."""

from __future__ import annotations

import json
import logging
import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from grader.checker import MAX_ANSWER_CHARS
from grader.cli.main import cli, main
from grader.io.catalog import load_folder
from grader.nlp import load_pipeline
from grader.web import create_app
from grader.web.limits import MAX_BODY_BYTES

ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
STATIC = ROOT / "grader" / "web" / "static"
SEED = "ap-bio/membrane-potential"
ENZYMES = "ap-bio/enzyme-activity"


@pytest.fixture(scope="module")
def rubrics():
    return load_folder(RUBRICS)


@pytest.fixture(scope="module")
def client(rubrics):
    app = create_app(rubrics, nlp=load_pipeline())
    with TestClient(app) as c:
        yield c


def check(client, answer, rubric=SEED):
    return client.post("/api/check", json={"rubric": rubric, "answer": answer})


# --- listing ----------------------------------------------------------------------


def test_rubrics_lists_every_rubric_of_the_folder(client, rubrics):
    r = client.get("/api/rubrics")
    assert r.status_code == 200
    listed = {item["id"]: item for item in r.json()}
    assert set(listed) == set(rubrics)
    seed = listed[SEED]
    assert seed["title"] == "Resting membrane potential and the Na+/K+ pump"
    assert seed["prompt"].startswith("Explain how a neuron establishes")
    assert seed["prompt"] == seed["prompt"].strip()
    assert seed["max_score"] == rubrics[SEED].max_score()


def test_a_question_in_parts_lists_each_part(client, rubrics):
    listed = {item["id"]: item for item in client.get("/api/rubrics").json()}
    enzymes = rubrics[ENZYMES]
    assert listed[ENZYMES]["parts"] == [
        {"id": p.id, "prompt": " ".join(p.prompt.split()), "max_score": enzymes.part_rubric(p.id).max_score()}
        for p in enzymes.parts
    ]
    assert sum(p["max_score"] for p in listed[ENZYMES]["parts"]) == listed[ENZYMES]["max_score"]
    assert "parts" not in listed[SEED]  # a one-part question is listed as it always was


# (answer, each part's score, which parts were found by their markers)
PART_ANSWERS = [
    (
        "(a) The substrate fits into the active site. (b) The enzymes die at high temperatures. "
        "(c) The rate decreases because the inhibitor blocks the active site.",
        {"a": 1, "b": 0, "c": 2},
        True,
    ),
    (
        "The substrate binds to the active site, which lowers the activation energy.",
        {"a": 2, "b": 0, "c": 1},
        False,
    ),
    ("", {"a": 0, "b": 0, "c": 0}, False),
]


@pytest.mark.parametrize(("answer", "scores", "marked"), PART_ANSWERS)
def test_check_of_a_question_in_parts(client, answer, scores, marked):
    fb = check(client, answer, ENZYMES).json()
    assert {p["id"]: p["score"] for p in fb["parts"]} == scores
    assert fb["score"] == sum(scores.values())
    assert all(p["marked"] is marked for p in fb["parts"])
    for c in fb["concepts"]:
        for ev in c["evidence"]:
            assert answer[ev["start"] : ev["end"]] == ev["text"]


# --- checking: a table of real answers ------------------------------------------------

# (answer, credited concepts, credited links, misconceptions stated)
ANSWERS = [
    (
        "The Na+/K+ pump uses ATP to actively transport 3 Na+ out of the cell and 2 K+ into it. "
        "This builds a concentration gradient. This gradient stores energy, so when the sodium "
        "channels open, Na+ rushes in, which depolarizes the membrane.",
        {"atp", "active_transport", "gradient", "channels_open", "potential_change"},
        {"atp -> active_transport", "active_transport -> gradient", "gradient -> channels_open"},
        set(),
    ),
    (
        "The sodium-potassium pump moves sodium out and potassium in, so there is more Na+ outside.",
        {"active_transport", "gradient"},
        {"active_transport -> gradient"},
        set(),
    ),
    (
        "ATP, active transport, gradient, channels, action potential",
        {"atp", "active_transport", "gradient"},
        set(),
        set(),
    ),
    (
        "Active transport does not need ATP because the ions just move on their own.",
        set(),
        set(),
        {"no_energy_needed"},
    ),
    ("", set(), set(), set()),
]


@pytest.mark.parametrize(("answer", "concepts", "links", "misconceptions"), ANSWERS)
def test_check_reports_what_the_answer_proves(client, answer, concepts, links, misconceptions):
    r = check(client, answer)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    fb = r.json()
    credited = {c["id"] for c in fb["concepts"] if c["status"] == "present"}
    argued = {f"{lk['from']} -> {lk['to']}" for lk in fb["links"] if lk["status"] == "present"}
    assert credited == concepts
    assert links <= argued
    assert {m["id"] for m in fb["misconceptions"]} == misconceptions
    assert fb["feedback"], "every answer gets at least one feedback sentence"
    # evidence offsets point into the answer exactly as sent
    for c in fb["concepts"]:
        for ev in c["evidence"]:
            assert answer[ev["start"] : ev["end"]] == ev["text"]


@pytest.mark.parametrize(
    "answer",
    [
        "The pump uses ATP. This makes a concentration gradient.",
        "ATP → Na⁺/K⁺ ATPase → gradient, inside ≈ −70 mV",
        "the sodium potasium pump uses atp wich makes a gradiant",
    ],
)
def test_check_returns_exactly_the_cli_json(client, answer):
    api = check(client, answer).text
    run = CliRunner().invoke(
        cli, ["check", str(RUBRICS / "ap-bio" / "membrane-potential.yaml"), "--format", "json"], input=answer
    )
    assert run.exit_code == 0, run.output
    assert api == run.output.strip()


@pytest.mark.parametrize(
    "answer",
    [
        "🧠🧠 The pump uses ATP to move Na+ out.",  # characters outside the BMP before the evidence
        "Le pompe utilise l'ATP — the pump uses ATP.",
        "The pump\r\nuses ATP\tto move ions.",
    ],
)
def test_offsets_count_characters_of_the_original(client, answer):
    fb = check(client, answer).json()
    atp = next(c for c in fb["concepts"] if c["id"] == "atp")
    assert atp["status"] == "present"
    for ev in atp["evidence"]:
        assert answer[ev["start"] : ev["end"]] == ev["text"] == "ATP"


def test_student_text_comes_back_as_json_data_not_markup(client):
    answer = "<script>alert(1)</script> <img src=x onerror=alert(2)> The pump uses ATP."
    r = check(client, answer)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    atp = next(c for c in r.json()["concepts"] if c["id"] == "atp")
    assert atp["evidence"][0]["text"] == "ATP"


def test_check_reports_its_time_and_is_not_cached(client):
    r = check(client, "The pump uses ATP.")
    assert re.fullmatch(r"check;dur=\d+\.\d", r.headers["server-timing"])
    assert r.headers["cache-control"] == "no-store"


# --- bad requests: each gets its status and a message, and the server keeps serving --------


@pytest.mark.parametrize(
    "rubric_id",
    [
        "ap-bio/no-such-question",
        "../../etc/passwd",
        "ap-bio/../ap-bio/membrane-potential",
        "rubrics/ap-bio/membrane-potential.yaml",
        str(RUBRICS / "ap-bio" / "membrane-potential.yaml"),
        "membrane-potential",
        "AP-BIO/MEMBRANE-POTENTIAL",
        "",
        "\ud800",
    ],
)
def test_unknown_rubric_ids_get_404_with_the_known_ids(client, rubric_id):
    body = json.dumps({"rubric": rubric_id, "answer": "The pump uses ATP."})
    r = client.post("/api/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 404
    assert "unknown rubric" in r.json()["detail"]
    assert SEED in r.json()["detail"]
    assert check(client, "The pump uses ATP.").status_code == 200


def test_answer_at_the_limit_is_checked_and_one_more_character_is_413(client):
    sentence = "The pump uses ATP to move ions. "
    at_limit = (sentence * (MAX_ANSWER_CHARS // len(sentence) + 1))[:MAX_ANSWER_CHARS]
    assert check(client, at_limit).status_code == 200
    r = check(client, at_limit + "x")
    assert r.status_code == 413
    assert "20,000" in r.json()["detail"] and "shorten" in r.json()["detail"]


def test_a_body_over_the_byte_limit_is_refused_before_parsing(client):
    big = json.dumps({"rubric": SEED, "answer": "a" * (MAX_BODY_BYTES + 10)})
    r = client.post("/api/check", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "20,000 characters" in r.json()["detail"]


def test_a_streamed_body_without_length_is_cut_off_at_the_limit(client):
    def chunks():
        yield b'{"rubric": "ap-bio/membrane-potential", "answer": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    r = client.post("/api/check", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert check(client, "The pump uses ATP.").status_code == 200


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ('{"rubric": "ap-bio/membrane-potential", "answer": "The pump', "json_invalid"),
        ("answer=The pump uses ATP", "json_invalid"),
        ('{"rubric": "ap-bio/membrane-potential", "answer": 42}', "string_type"),
        ('{"rubric": "ap-bio/membrane-potential", "answer": ["\\ud800"]}', "string_type"),
        ('{"rubric": "ap-bio/membrane-potential"}', "missing"),
        ('{"answer": "The pump uses ATP."}', "missing"),
        ("[]", "model_attributes_type"),
    ],
)
def test_malformed_requests_get_422_with_the_usual_detail(client, body, error_type):
    r = client.post("/api/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == error_type
    assert check(client, "The pump uses ATP.").status_code == 200


def test_half_a_surrogate_pair_is_refused_with_its_position(client):
    r = client.post(
        "/api/check",
        content='{"rubric": "ap-bio/membrane-potential", "answer": "ATP \\ud800 pump"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert "position 4" in r.json()["detail"]


def test_answers_are_not_logged(client, caplog):
    marker = "Zebrafish-marker-7c1 the pump uses ATP"
    with caplog.at_level(logging.DEBUG):
        assert check(client, marker).status_code == 200
        assert check(client, marker + "x" * MAX_ANSWER_CHARS).status_code == 413
        assert check(client, marker, rubric="nope").status_code == 404
    assert "Zebrafish" not in caplog.text


def test_host_header_is_checked_when_hosts_are_given(rubrics):
    app = create_app(rubrics, nlp=load_pipeline(), allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/api/rubrics").status_code == 200
        assert c.get("/api/rubrics", headers={"host": "attacker.example"}).status_code == 400


# --- the page itself --------------------------------------------------------------------


def test_page_and_its_files_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-max-chars="20000"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    for name in ("app.js", "app.css", "favicon.svg"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200, name
        assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", ["index.html", "app.js", "app.css"])
def test_page_loads_nothing_from_outside(name):
    text = (STATIC / name).read_text("utf-8")
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), (
        "every file must come from this server"
    )
    assert "@import" not in text and "<script>" not in text


def test_page_script_never_parses_html():
    js = (STATIC / "app.js").read_text("utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in js, sink


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_work_offline(client, path):
    docs = client.get(path)
    assert docs.status_code == 200
    assert not re.search(r"(src|href)=['\"]?https?:", docs.text), "docs must load nothing from outside"
    assets = re.findall(r"""['"](/static-offline-docs/[^'"]+)['"]""", docs.text)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    schema = client.get("/openapi.json").json()
    assert {"/api/check", "/api/rubrics"} <= set(schema["paths"])


# --- grader serve: mistakes fail fast with a message ------------------------------------


def test_serve_without_a_rubric_folder_says_how_to_fix_it(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--rubrics", str(tmp_path / "missing")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("grader: error: ") and "--rubrics DIR" in err and "Traceback" not in err


def test_serve_on_a_busy_port_says_so(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as exit_:
            main(["serve", "--rubrics", str(RUBRICS), "--port", str(port)])
    assert exit_.value.code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_serve_binds_a_tcp_socket_so_replies_are_not_delayed(host):
    from grader.cli.serve import _bind

    sock = _bind(host, 0)
    try:
        # asyncio only disables Nagle's algorithm on sockets whose proto is TCP
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()
