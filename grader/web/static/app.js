// The student page: pick a question, write an answer, check it, see the result.
// Student text is only ever put in the page with textContent / text nodes.
"use strict";

const MAX_CHARS = Number(document.body.dataset.maxChars) || 20000;

// One colour per rubric point, in rubric order: a light fill for the highlight and
// a dark ink (>= 7:1 on white) for borders and underlines.
const PALETTE = [
  { bg: "#fde68a", ink: "#92400e" },
  { bg: "#bae6fd", ink: "#075985" },
  { bg: "#bbf7d0", ink: "#166534" },
  { bg: "#fbcfe8", ink: "#9d174d" },
  { bg: "#ddd6fe", ink: "#5b21b6" },
  { bg: "#fed7aa", ink: "#9a3412" },
  { bg: "#99f6e4", ink: "#115e59" },
  { bg: "#d9f99d", ink: "#3f6212" },
];

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("form"), question: $("question"), prompt: $("prompt"), answer: $("answer"),
  count: $("count"), button: $("check"), status: $("status"), error: $("error"),
  result: $("result"), stale: $("stale"), scoreNum: $("score-num"), scoreMax: $("score-max"),
  scoreBar: $("score-bar"), summary: $("summary"), marked: $("marked"), legend: $("legend"),
  chain: $("chain"), otherLinks: $("other-links"), misCard: $("misconceptions-card"),
  misList: $("misconceptions"), feedback: $("feedback"), tip: $("tip"),
  partsNote: $("parts-note"), parts: $("parts"), chainCard: $("chain-card"), feedbackCard: $("feedback-card"),
};
const PLACEHOLDER = ui.answer.placeholder;

let rubrics = [];
let lastCheck = null; // {rubric, text}: what the shown result is about
let busy = false;

// --- small DOM helpers ---------------------------------------------------------

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function hiddenText(text) {
  return el("span", "visually-hidden", text);
}

function fmt(x) {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

function clean(label) {
  return String(label).replace(/\s+/g, " ").trim();
}

// --- drafts: kept per question for this browser tab only -----------------------

function draftKey(rubricId) {
  return "grader.draft." + rubricId;
}

function saveDraft() {
  try {
    if (ui.question.value) sessionStorage.setItem(draftKey(ui.question.value), ui.answer.value);
  } catch (e) { /* storage may be off; the text box still holds the text */ }
}

function loadDraft(rubricId) {
  try {
    return sessionStorage.getItem(draftKey(rubricId)) || "";
  } catch (e) {
    return "";
  }
}

// --- questions -----------------------------------------------------------------

async function loadRubrics() {
  let response;
  try {
    response = await fetch("/api/rubrics");
  } catch (e) {
    showError("Could not reach the checker. Is “grader serve” still running? Reload this page once it is.");
    return;
  }
  if (!response.ok) {
    showError("The checker could not list its questions (HTTP " + response.status + ").");
    return;
  }
  rubrics = await response.json();
  ui.question.replaceChildren();
  for (const r of rubrics) {
    const option = el("option", null, r.title);
    option.value = r.id;
    ui.question.append(option);
  }
  let chosen = null;
  try { chosen = sessionStorage.getItem("grader.rubric"); } catch (e) { /* ignore */ }
  if (chosen && rubrics.some((r) => r.id === chosen)) ui.question.value = chosen;
  ui.question.disabled = rubrics.length === 0;
  ui.button.disabled = rubrics.length === 0;
  showQuestion();
  if (!ui.answer.value) ui.answer.value = loadDraft(ui.question.value);
  updateCount();
}

function currentRubric() {
  return rubrics.find((r) => r.id === ui.question.value) || null;
}

function showQuestion() {
  const r = currentRubric();
  ui.prompt.textContent = r ? r.prompt : "";
  // a question in parts: each part is read on its own when it starts with its letter
  ui.answer.placeholder = r && r.parts
    ? "Start each part with its letter: " + r.parts.map((p) => "(" + p.id + ") …").join(" ") : PLACEHOLDER;
}

ui.question.addEventListener("focus", () => { ui.question.dataset.previous = ui.question.value; });
ui.question.addEventListener("change", () => {
  const previous = ui.question.dataset.previous;
  if (previous) {
    try { sessionStorage.setItem(draftKey(previous), ui.answer.value); } catch (e) { /* ignore */ }
  }
  ui.question.dataset.previous = ui.question.value;
  try { sessionStorage.setItem("grader.rubric", ui.question.value); } catch (e) { /* ignore */ }
  ui.answer.value = loadDraft(ui.question.value);
  showQuestion();
  hideResult();
  updateCount();
});

// --- the text box --------------------------------------------------------------

function updateCount() {
  const n = Array.from(ui.answer.value).length;
  ui.count.textContent = n.toLocaleString("en-US") + " / " + MAX_CHARS.toLocaleString("en-US") + " characters";
  ui.count.classList.toggle("over", n > MAX_CHARS);
}

ui.answer.addEventListener("input", () => {
  updateCount();
  saveDraft();
  if (lastCheck && !ui.result.hidden) {
    const stale = ui.answer.value !== lastCheck.text;
    ui.stale.hidden = !stale;
    ui.result.classList.toggle("is-stale", stale);
  }
});

ui.answer.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    ui.form.requestSubmit();
  }
});

// --- checking ------------------------------------------------------------------

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = false;
}

function hideResult() {
  ui.result.hidden = true;
  ui.error.hidden = true;
  lastCheck = null;
}

ui.form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (busy || !ui.question.value) return;
  const text = ui.answer.value;
  const rubric = ui.question.value;
  ui.error.hidden = true;
  const length = Array.from(text).length;
  if (length > MAX_CHARS) {
    showError("Your answer has " + length.toLocaleString("en-US") + " characters; the checker reads at most "
      + MAX_CHARS.toLocaleString("en-US") + ". Shorten it and check again.");
    return;
  }
  busy = true;
  ui.button.disabled = true;
  ui.button.textContent = "Checking…";
  ui.status.textContent = "";
  try {
    const response = await fetch("/api/check", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ rubric, answer: text }),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      showError(problemMessage(response.status, data));
      return;
    }
    render(data, text, rubrics.find((r) => r.id === rubric) || null);
    lastCheck = { rubric, text };
    ui.stale.hidden = ui.answer.value === text;
    ui.result.classList.toggle("is-stale", ui.answer.value !== text);
    ui.status.textContent = "Checked: " + fmt(data.score) + " out of " + fmt(data.max_score) + " points.";
  } catch (e) {
    showError("Could not reach the checker. Is “grader serve” still running? Your text is still here.");
  } finally {
    busy = false;
    ui.button.disabled = false;
    ui.button.textContent = "Check my answer";
  }
});

function problemMessage(status, data) {
  const detail = data && typeof data.detail === "string" ? data.detail : null;
  if (status === 413) return "Your answer is too long to check: " + (detail || "shorten it and try again.");
  if (status === 404) return "This question is no longer on the server. Reload the page to see the current list.";
  if (status === 422) return "The checker could not read that request" + (detail ? ": " + detail : ".");
  if (status === 503) return "The checker could not check this answer now: " + (detail || "try again in a moment.") + " Your text is still here.";
  return "Something went wrong in the checker (HTTP " + status + "). Your text is still here; try again.";
}

// --- the result ----------------------------------------------------------------

function render(fb, text, info) {
  const colour = new Map(fb.concepts.map((c, i) => [c.id, PALETTE[i % PALETTE.length]]));
  const number = new Map(fb.concepts.map((c, i) => [c.id, i + 1]));
  const ctx = { fb, colour, number, label: new Map(fb.concepts.map((c) => [c.id, clean(c.label)])) };

  ui.scoreNum.textContent = fmt(fb.score);
  ui.scoreMax.textContent = fmt(fb.max_score);
  const share = fb.max_score > 0 ? Math.max(0, Math.min(1, fb.score / fb.max_score)) : 0;
  ui.scoreBar.style.width = (share * 100).toFixed(1) + "%";
  const ideas = fb.concepts.filter((c) => c.status === "present").length;
  const links = fb.links.filter((l) => l.status === "present").length;
  let summary = "You showed " + ideas + " of " + fb.concepts.length + " ideas";
  summary += fb.links.length ? " and linked " + links + " of " + fb.links.length + " steps." : ".";
  if (fb.misconceptions.length) {
    summary += " " + (fb.misconceptions.length === 1 ? "One idea needs" : fb.misconceptions.length + " ideas need")
      + " a second look.";
  }
  ui.summary.textContent = summary;

  renderMarked(text, ctx);
  renderLegend(ctx);
  const parts = fb.parts || [];
  ui.parts.hidden = parts.length === 0;
  ui.chainCard.hidden = parts.length > 0;
  if (parts.length === 0) {
    ui.partsNote.hidden = true;
    ui.parts.replaceChildren();
    renderChain(ctx, fb, ui.chain, ui.otherLinks);
    renderMisconceptions(fb, ui.misCard, ui.misList);
    renderFeedback(fb, ui.feedback);
    ui.feedbackCard.hidden = false;
  } else {
    // a question in parts: a card per part with its prompt, score, chain, mix-ups and feedback
    const unmarked = parts.some((p) => !p.marked) && parts.some((p) => p.end > p.start);
    ui.partsNote.hidden = !unmarked;
    ui.partsNote.textContent = unmarked
      ? "No part letters such as (a) or (b) were found, so your whole answer was read for every part. "
        + "Start each part with its letter to have it read on its own." : "";
    const prompts = new Map(((info && info.parts) || []).map((p) => [p.id, p.prompt]));
    ui.parts.replaceChildren(...parts.map((p) => partCard(p, partView(fb, p), prompts.get(p.id), ctx)));
    ui.misCard.hidden = true;
    const overall = overallFeedback(fb);
    ui.feedbackCard.hidden = overall.length === 0;
    ui.feedback.replaceChildren(...overall.map((s) => el("li", null, clean(s))));
  }
  ui.result.hidden = false;
}

function renderFeedback(fb, list) {
  // a misconception's explanation is already in its own box: point there instead of repeating it
  const explained = new Set(fb.misconceptions.map((m) => m.feedback));
  const sentences = fb.feedback.filter((s) => !explained.has(s));
  if (sentences.length < fb.feedback.length) sentences.unshift("First, rethink the idea under “Check this idea” above.");
  list.replaceChildren(...sentences.map((s) => el("li", null, clean(s))));
}

// --- questions in parts -----------------------------------------------------------

// One part's findings, as a Feedback of its own: ids start "a.", sentences "(a) ".
function partView(fb, part) {
  const prefix = part.id + ".";
  const mark = "(" + part.id + ") ";
  return {
    ...fb,
    score: part.score,
    max_score: part.max_score,
    concepts: fb.concepts.filter((c) => c.id.startsWith(prefix)),
    links: fb.links.filter((l) => l.from.startsWith(prefix)),
    misconceptions: fb.misconceptions.filter((m) => m.id.startsWith(prefix)),
    feedback: fb.feedback.filter((s) => s.startsWith(mark)).map((s) => s.slice(mark.length)),
  };
}

// the sentences about no one part ("Nothing was written ...")
function overallFeedback(fb) {
  const marks = (fb.parts || []).map((p) => "(" + p.id + ") ");
  return fb.feedback.filter((s) => !marks.some((m) => s.startsWith(m)));
}

function partCard(part, view, prompt, ctx) {
  const title = el("h3", null, "Part (" + part.id + ") ",
    el("span", "part-score", fmt(part.score) + " out of " + fmt(part.max_score) + " points"));
  title.id = "part-title-" + part.id;
  const fill = el("div");
  const share = part.max_score > 0 ? Math.max(0, Math.min(1, part.score / part.max_score)) : 0;
  fill.style.width = (share * 100).toFixed(1) + "%";
  const bar = el("div", "bar", fill);
  bar.setAttribute("aria-hidden", "true");
  const chain = el("ol", "chain");
  const others = el("ul", "other-links");
  renderChain(ctx, view, chain, others);
  const misList = el("ul", "misconceptions");
  const misBox = el("div", "part-mis", el("h4", null, "Check this idea"), misList);
  renderMisconceptions(view, misBox, misList);
  const feedback = el("ol", "feedback");
  renderFeedback(view, feedback);
  const card = el("section", "card part-card", title,
    prompt ? el("p", "part-prompt", clean(prompt)) : null, bar,
    el("h4", null, "Your reasoning chain"), chain, others, misBox,
    el("h4", null, "What to work on next"), feedback);
  card.id = "part-" + part.id;
  card.dataset.part = part.id;
  card.setAttribute("aria-labelledby", title.id);
  return card;
}

// Every piece of evidence becomes a mark over [start, end) in code points (the
// server counts Python characters; JavaScript strings count UTF-16 units).
function collectMarks(ctx) {
  const marks = [];
  const seen = new Set();
  const add = (m) => {
    const key = [m.kind, m.id, m.start, m.end].join("|");
    if (m.end > m.start && !seen.has(key)) { seen.add(key); marks.push(m); }
  };
  for (const c of ctx.fb.concepts) {
    if (c.status === "missing") continue;
    for (const ev of c.evidence) {
      add({ kind: c.status === "present" ? "concept" : "negated", id: c.id, start: ev.start, end: ev.end,
        rule: ev.rule, text: ev.text, note: c.note });
    }
  }
  ctx.fb.misconceptions.forEach((m, i) => {
    for (const ev of m.evidence) add({ kind: "misconception", id: m.id, index: i, start: ev.start, end: ev.end });
  });
  for (const link of ctx.fb.links) {
    if (link.status !== "present") continue;
    for (const ev of cueEvidence(link, ctx.fb)) {
      add({ kind: "cue", id: link.from + ">" + link.to, link, start: ev.start, end: ev.end, rule: ev.rule, text: ev.text });
    }
  }
  return marks;
}

// A link's evidence holds its two ends (concept evidence) and the words that relate them.
function cueEvidence(link, fb) {
  const ends = new Set();
  for (const c of fb.concepts) {
    if (c.id === link.from || c.id === link.to) for (const ev of c.evidence) ends.add(ev.start + ":" + ev.end);
  }
  return link.evidence.filter((ev) => !ends.has(ev.start + ":" + ev.end));
}

function renderMarked(text, ctx) {
  const chars = Array.from(text);
  const n = chars.length;
  const marks = collectMarks(ctx).map((m) => ({ ...m, start: Math.max(0, Math.min(n, m.start)),
    end: Math.max(0, Math.min(n, m.end)) })).filter((m) => m.end > m.start);
  const cuts = new Set([0, n]);
  for (const m of marks) { cuts.add(m.start); cuts.add(m.end); }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    const piece = chars.slice(a, b).join("");
    const over = marks.filter((m) => m.start <= a && m.end >= b);
    out.push(over.length ? segment(piece, over, ctx) : document.createTextNode(piece));
  }
  ui.marked.replaceChildren(...out);
}

function segment(piece, over, ctx) {
  // the narrowest concept span is the fill; wider overlapping ones become underlines
  const concepts = over.filter((m) => m.kind === "concept").sort((x, y) => (x.end - x.start) - (y.end - y.start));
  const negated = over.filter((m) => m.kind === "negated");
  const mis = over.filter((m) => m.kind === "misconception");
  const cues = over.filter((m) => m.kind === "cue");
  const node = el("mark", "hl", piece);
  node.tabIndex = 0;
  node.setAttribute("aria-describedby", "tip");
  if (concepts.length) {
    const first = ctx.colour.get(concepts[0].id);
    node.style.backgroundColor = first.bg;
    const stripes = concepts.map((m, i) => "inset 0 " + (-2 - 3 * i) + "px 0 " + ctx.colour.get(m.id).ink);
    node.style.boxShadow = stripes.join(", ");
    node.dataset.concepts = [...new Set(concepts.map((m) => m.id))].join(" ");
  } else if (negated.length) {
    node.classList.add("neg");
    node.dataset.concepts = [...new Set(negated.map((m) => m.id))].join(" ");
  } else {
    node.classList.add("plain");
  }
  if (mis.length) node.classList.add("mis");
  if (cues.length) node.classList.add("cue");
  node.tipLines = () => tipLines(over, ctx);
  return node;
}

function ruleWords(rule) {
  const m = /^(phrase|pattern): (.*?)(?: \(spelling: (.*)\))?$/.exec(rule || "");
  if (!m) return null;
  const what = m[1] === "phrase" ? "the rubric phrase “" + m[2] + "”" : "a rubric pattern";
  return what + (m[3] ? " (spelling read as: " + m[3] + ")" : "");
}

function cueWords(rule, text) {
  if (rule === "arrow") return "your arrow “" + text + "”";
  if ((rule || "").startsWith("connective across sentences")) {
    return "“" + text + "”, which carries on from the sentence before";
  }
  if ((rule || "").startsWith("verb:")) return "the verb “" + text + "”";
  if ((rule || "").startsWith("connective:")) return "the linking word “" + text + "”";
  return "“" + text + "”";
}

function tipLines(over, ctx) {
  const lines = [];
  for (const m of over) {
    const label = ctx.label.get(m.id);
    if (m.kind === "concept") {
      const via = ruleWords(m.rule);
      lines.push({ colour: ctx.colour.get(m.id), head: "✓ Point " + ctx.number.get(m.id) + ": " + label,
        body: "Your words “" + m.text + "”" + (via ? " match " + via + "." : ".") });
    } else if (m.kind === "negated") {
      lines.push({ colour: ctx.colour.get(m.id), head: "✗ Not counted, point " + ctx.number.get(m.id) + ": " + label,
        body: "You wrote “" + m.text + "” " + (m.note || "in a negative") + ", so it earns no credit." });
    } else if (m.kind === "misconception") {
      lines.push({ head: "⚠ This sounds like a common mix-up.", body: "See “Check this idea” below." });
    } else if (m.kind === "cue") {
      const a = ctx.number.get(m.link.from);
      const b = ctx.number.get(m.link.to);
      lines.push({ head: "→ Link from point " + a + " to point " + b, body: "Made by " + cueWords(m.rule, m.text) + "." });
    }
  }
  return lines;
}

// --- tooltip: hover, tap or keyboard focus ------------------------------------

function showTip(target) {
  if (!target.tipLines) return;
  const parts = [];
  for (const line of target.tipLines()) {
    let swatch = null;
    if (line.colour) {
      swatch = el("span", "swatch");
      swatch.style.backgroundColor = line.colour.bg;
      swatch.style.borderColor = line.colour.ink;
    }
    parts.push(el("p", null, swatch, el("strong", null, line.head), el("br"), line.body));
  }
  ui.tip.replaceChildren(...parts);
  ui.tip.hidden = false;
  const r = target.getBoundingClientRect();
  const width = Math.min(340, document.documentElement.clientWidth - 16);
  ui.tip.style.width = width + "px";
  const left = Math.max(8, Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
  ui.tip.style.left = left + "px";
  ui.tip.style.top = (r.bottom + window.scrollY + 6) + "px";
}

function hideTip() {
  ui.tip.hidden = true;
}

ui.marked.addEventListener("mouseover", (e) => { const t = e.target.closest("mark"); if (t) showTip(t); });
ui.marked.addEventListener("mouseout", (e) => {
  const t = e.target.closest("mark");
  if (t && !t.contains(e.relatedTarget) && document.activeElement !== t) hideTip();
});
ui.marked.addEventListener("focusin", (e) => { const t = e.target.closest("mark"); if (t) showTip(t); });
ui.marked.addEventListener("focusout", hideTip);
document.addEventListener("keydown", (e) => { if (e.key === "Escape") hideTip(); });

// --- legend and chain ----------------------------------------------------------

function statusWords(c) {
  if (c.status === "present") return "✓ in your answer";
  if (c.status === "negated") return "✗ only in a negative";
  return "✗ not yet";
}

// a key to the highlight colours: only the points the answer has words for
function renderLegend(ctx) {
  const shown = ctx.fb.concepts.filter((c) => c.status !== "missing");
  ui.legend.replaceChildren(...shown.map((c) => {
    const swatch = el("span", "swatch");
    const colour = ctx.colour.get(c.id);
    swatch.style.backgroundColor = c.status === "present" ? colour.bg : "#e5e7eb";
    swatch.style.borderColor = c.status === "present" ? colour.ink : "#6b7280";
    const words = ctx.number.get(c.id) + ". " + clean(c.label) + (c.status === "negated" ? " (not counted)" : "");
    return el("li", "legend-" + c.status, swatch, words);
  }));
}

function linkBetween(fb, a, b) {
  return fb.links.find((l) => (l.from === a && l.to === b) || (l.from === b && l.to === a)) || null;
}

function connector(link, ctx) {
  const conn = el("div", "conn", el("span", "line"), el("span", "head"));
  if (!link) {
    conn.classList.add("none");
    conn.setAttribute("aria-hidden", "true");
    return conn;
  }
  const a = ctx.number.get(link.from);
  const b = ctx.number.get(link.to);
  let words;
  let spoken;
  if (link.status === "present") {
    conn.classList.add("ok");
    const cue = cueEvidence(link, ctx.fb)[0];
    words = cue ? "“" + cue.text + "”" : "linked";
    spoken = "Link from step " + a + " to step " + b + ": you explained it" + (cue ? " with “" + cue.text + "”" : "") + ".";
  } else if (link.note === "reversed") {
    conn.classList.add("gap", "reversed");
    words = "backwards";
    spoken = "Link from step " + a + " to step " + b + ": you linked them the other way round.";
  } else {
    conn.classList.add("gap");
    words = "missing";
    spoken = "Link from step " + a + " to step " + b + ": missing.";
  }
  if (a > b) conn.classList.add("back");
  const shown = el("span", "conn-label", words);
  shown.setAttribute("aria-hidden", "true");
  conn.append(shown, hiddenText(spoken));
  return conn;
}

// the boxes of `fb`'s concepts (the whole answer's, or one part's), numbered as in the legend
function renderChain(ctx, fb, chain, otherLinks) {
  const steps = fb.concepts.map((c, i) => {
    const colour = ctx.colour.get(c.id);
    const box = el("div", "box box-" + c.status,
      el("span", "num", String(ctx.number.get(c.id))),
      el("span", "box-label", clean(c.label)),
      el("span", "box-status", statusWords(c)));
    box.style.borderColor = c.status === "missing" ? "" : colour.ink;
    if (c.status === "present") box.style.backgroundColor = colour.bg;
    const item = el("li", "step", box);
    item.dataset.concept = c.id;
    const next = fb.concepts[i + 1];
    if (next) item.append(connector(linkBetween(fb, c.id, next.id), ctx));
    return item;
  });
  chain.replaceChildren(...steps);
  const rows = Math.ceil(steps.length / 5);
  chain.style.setProperty("--per-row", String(Math.max(1, Math.ceil(steps.length / rows))));
  // links that do not join neighbouring boxes are listed under the chain
  const adjacent = new Set();
  for (let i = 0; i + 1 < fb.concepts.length; i++) {
    const l = linkBetween(fb, fb.concepts[i].id, fb.concepts[i + 1].id);
    if (l) adjacent.add(l);
  }
  otherLinks.replaceChildren(...fb.links.filter((l) => !adjacent.has(l)).map((l) => {
    const state = l.status === "present" ? "linked" : l.note === "reversed" ? "linked backwards" : "link missing";
    return el("li", "other-" + (l.status === "present" ? "ok" : "gap"),
      (l.status === "present" ? "✓ " : "✗ ") + ctx.number.get(l.from) + " → " + ctx.number.get(l.to) + ": " + state);
  }));
}

function renderMisconceptions(fb, card, list) {
  card.hidden = fb.misconceptions.length === 0;
  list.replaceChildren(...fb.misconceptions.map((m) => {
    // quote each passage once: drop evidence lying inside a longer piece of evidence
    const inside = (a, b) => a !== b && b.start <= a.start && a.end <= b.end;
    const unique = [...new Map(m.evidence.map((ev) => [ev.start + ":" + ev.end, ev])).values()];
    const passages = unique.filter((ev) => !unique.some((other) => inside(ev, other)));
    const quotes = passages.map((ev) => "“" + ev.text + "”").join(", ");
    return el("li", null,
      quotes ? el("p", "quote", "You wrote " + quotes + ".") : null,
      el("p", null, clean(m.feedback)));
  }));
}

loadRubrics();
