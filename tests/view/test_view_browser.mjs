#!/usr/bin/env node
// The page of `ivrsm view` in a real browser: Debian's chromium, headless,
// driven by playwright-core (tests/view/package-lock.json).
//
//   node tests/view/test_view_browser.mjs IVRSM ARTEFACT_DIR
//
// Exits 77 (skipped) when chromium or the npm dependencies are not
// installed; .ci/run installs both. Screenshots are kept in ARTEFACT_DIR.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.IVRSM_SOURCE_ROOT || path.resolve(here, "../..");
const [ivrsm, artefacts] = process.argv.slice(2);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const seed = path.join(root, "examples/synergia_rdv/machine.yaml");

if (!ivrsm || !artefacts) {
  console.error("usage: test_view_browser.mjs IVRSM ARTEFACT_DIR");
  process.exit(2);
}
let playwright;
try {
  playwright = createRequire(import.meta.url)("playwright-core");
} catch {
  console.log("SKIP: playwright-core is not installed (npm ci --prefix tests/view)");
  process.exit(77);
}
if (!existsSync(CHROMIUM)) {
  console.log(`SKIP: ${CHROMIUM} is not installed (apt-get install chromium)`);
  process.exit(77);
}

const work = mkdtempSync(path.join(tmpdir(), "ivrsm-view-"));
mkdirSync(artefacts, { recursive: true });
let context;

function run(args, options = {}) {
  return execFileSync(ivrsm, args, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, ...options });
}

// A call recorded by `ivrsm sim --trace`, with an OTP keyed (masked in the trace).
function recordCall() {
  const responses = path.join(work, "responses.json");
  writeFileSync(responses, JSON.stringify({
    request_otp: { status: 200, body: { challenge_id: "c1" } },
    verify_otp: { status: 200, body: { session_token: "tok-7fa3", partner_id: 42 } },
  }));
  const trace = path.join(work, "call.jsonl");
  run(["sim", seed, "--responses", responses, "--trace", trace, "--now", "2026-11-25T09:30"],
    { input: "dtmf 1\ndtmf 0612345678#\ndtmf 987654\nsay oui\n" });
  return trace;
}

function coverageFile() {
  const out = spawnSync(ivrsm, ["test", ...["login_consent.yaml", "code_not_sent.yaml"].map(
    (f) => path.join(here, "scenarios", f)), "--coverage", "--json"], { encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  const file = path.join(work, "coverage.json");
  writeFileSync(file, out.stdout);
  return file;
}

async function open(page, file) {
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push("request " + r.url()); });
  const t0 = Date.now();
  await page.goto("file://" + file);
  await page.waitForSelector("#details");
  return { problems, ms: Date.now() - t0 };
}

// The line where `  NAME:` opens state NAME in a YAML machine.
function stateLine(file, name) {
  const lines = readFileSync(file, "utf8").split("\n");
  return lines.findIndex((l) => l === `  ${name}:`) + 1;
}

before(async () => {
  context = await playwright.chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "chromium-")), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 850 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  if (context) await context.close();
  rmSync(work, { recursive: true, force: true });
});

test("the seed: a click shows a state, a call replays to its end, coverage colours match", async () => {
  const trace = recordCall();
  const coverage = coverageFile();
  const html = path.join(work, "seed.html");
  run(["view", seed, "--trace", trace, "--coverage", coverage, "-o", html]);
  const text = readFileSync(html, "utf8");
  assert.ok(!text.includes("987654"), "the OTP keyed never reaches the page");
  assert.ok(!text.includes("tok-7fa3"), "the session token never reaches the page");

  const page = await context.newPage();
  const { problems } = await open(page, html);

  // A click on a state shows its details, with the line it is written on.
  const data = await page.evaluate(() => JSON.parse(document.getElementById("ivrsm-data").textContent));
  const consent = data.states.findIndex((s) => s.name === "ivr.auth.consent");
  await page.click("#fit");
  await page.locator(`#s${consent}`).click();
  await assert.doesNotReject(page.waitForFunction(() => document.querySelector("#details h2")?.textContent === "ivr.auth.consent"));
  const details = await page.locator("#details").innerText();
  assert.match(details, new RegExp(`machine\\.yaml:${stateLine(seed, "ivr.auth.consent")}\\b`));
  assert.match(details, /ROUTES/i);
  assert.match(details, /yes[\s\S]*ivr\.auth\.preferred_channel/);
  assert.match(details, /NO INPUT/i);
  assert.equal(await page.locator(`#s${consent}.selected`).count(), 1);

  // The call replays to its last step: the state it ended in is the current one.
  const records = readFileSync(trace, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const lastState = records.filter((r) => r.kind === "transition").at(-1).to;
  await page.click("#last");
  const info = await page.locator("#stepinfo").innerText();
  const [, n, total] = info.match(/step (\d+) of (\d+)/);
  assert.equal(n, total);
  assert.equal(await page.locator("#stepinfo").getAttribute("data-current"), lastState);
  const current = data.states.findIndex((s) => s.name === lastState);
  assert.equal(await page.locator("g.node.current").count(), 1);
  assert.equal(await page.locator(`#s${current}.current`).count(), 1);
  const log = await page.locator("#log").innerText();
  assert.match(log, /PUT \/auth\/request-otp → 200/);
  assert.match(log, /dtmf \*\*\*/);
  assert.match(log, /“oui”/);
  assert.equal(await page.locator("#log .entry.future").count(), 0);
  await page.screenshot({ path: path.join(artefacts, "view-seed-replay.png") });
  await page.click("#first");
  assert.match(await page.locator("#stepinfo").innerText(), /^step 1 of /);
  assert.ok(await page.locator("#log .entry.future").count() > 0);

  // Coverage colours: every state and every edge as the coverage file says.
  const cov = JSON.parse(readFileSync(coverage, "utf8")).coverage[0];
  const classes = await page.evaluate(() => {
    const out = {};
    document.querySelectorAll("g.node[id], g.edge[id]").forEach((g) => { out[g.id] = g.getAttribute("class"); });
    return out;
  });
  const index = new Map(data.states.map((s, i) => [s.name, i]));
  cov.states.forEach((s, i) => {
    assert.equal(index.get(s.name), i);
    assert.match(classes[`s${i}`], s.visits ? /\bcov-yes\b/ : /\bcov-no\b/, s.name);
  });
  const edges = new Map();
  for (const t of cov.transitions) {
    const id = `e${index.get(t.from)}_${index.get(t.to)}`;
    const e = edges.get(id) || { hit: 0, all: 0 };
    e.all++;
    if (t.hits) e.hit++;
    edges.set(id, e);
  }
  let covered = 0;
  for (const [id, e] of edges) {
    const want = e.hit === e.all ? "cov-yes" : e.hit ? "cov-part" : "cov-no";
    assert.match(classes[id], new RegExp(`\\b${want}\\b`), id);
    covered += want !== "cov-no";
  }
  assert.ok(covered > 5 && covered < edges.size, "some edges covered, some not");
  assert.match(await page.locator("#covsummary").innerText(),
    new RegExp(`states ${cov.summary.states_visited}/${cov.summary.states} .*transitions ${cov.summary.transitions_exercised}/${cov.summary.transitions}`));

  // Search by intent name: the states that route it.
  await page.fill("#search", "manage_team");
  const found = await page.locator("#results li").allInnerTexts();
  assert.ok(found.some((t) => t.startsWith("manage_team") && t.includes("ivr.entry")), found.join("|"));
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#details h2")?.textContent === "ivr.entry");
  await page.fill("#search", "cancel.reason");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#details h2")?.textContent === "ivr.cancel.reason");
  await page.fill("#search", "");

  await page.click("#last");
  await page.screenshot({ path: path.join(artefacts, "view-seed.png") });
  // The whole machine with a state open: the picture of the README (docs/view.png).
  await page.fill("#search", "ivr.auth.consent");
  await page.keyboard.press("Enter");
  await page.fill("#search", "");
  await page.click("#fit");
  await page.screenshot({ path: path.join(artefacts, "view-seed-fit.png") });
  assert.deepEqual(problems, []);
  await page.close();
});

test("format 1.1: recordings and re-prompts in the details and the replay", async () => {
  const machine = path.join(root, "tests/machines/parts.yaml");
  const trace = path.join(work, "parts.jsonl");
  run(["sim", machine, "--trace", trace], { input: "noinput\nnoinput\ndtmf 1\n" });
  const html = path.join(work, "parts.html");
  run(["view", machine, "--trace", trace, "-o", html]);
  const page = await context.newPage();
  const { problems } = await open(page, html);
  await page.click("#fit");
  await page.locator("#s0").click();
  await page.waitForFunction(() => document.querySelector("#details h2")?.textContent === "menu");
  const details = await page.locator("#details").innerText();
  assert.match(details, /▶ ivr\/welcome\.wav\s+Bonjour\. Tapez 1\./);
  assert.match(details, /re-prompt 1[^\n]*\n\s*Êtes-vous toujours là \?/);
  assert.match(details, /re-prompt 2 \(repeats\)[^\n]*\n\s*▶ ivr\/beep\.wav\s+Tapez 1\./);
  await page.click("#last");
  const log = await page.locator("#log").innerText();
  assert.match(log, /ASK\s+▶ ivr\/welcome\.wav Bonjour\. Tapez 1\./);
  assert.match(log, /ASK\s+▶ ivr\/beep\.wav Tapez 1\./);
  assert.equal(await page.locator("#stepinfo").getAttribute("data-current"), "done");
  assert.deepEqual(problems, []);
  await page.close();
});

test("format 1.1: outcomes by status and messages by language in the details", async () => {
  const page = await context.newPage();
  const pin = path.join(work, "pin.html");
  run(["view", path.join(root, "tests/format/pin.yaml"), "-o", pin]);
  let { problems } = await open(page, pin);
  await page.click("#fit");
  await page.locator("#s0").click();
  await page.waitForFunction(() => document.querySelector("#details h2")?.textContent === "pin");
  const details = await page.locator("#details").innerText();
  for (const section of ["ON SUCCESS", "ON STATUS 401", "ON STATUS 423", "ON STATUS 5XX", "ON TIMEOUT", "ON ERROR", "ON FAIL"])
    assert.ok(details.toUpperCase().includes(section), section + " in " + details);
  assert.match(details, /Code incorrect\.[\s\S]*next → pin/);
  // The transitions say which status takes them.
  assert.match(details, /status\s*401\s+→ pin/);
  assert.match(details, /status\s*5xx\s+→ retry/);
  assert.deepEqual(problems, []);
  const langs = path.join(work, "languages.html");
  run(["view", path.join(root, "tests/machines/languages.yaml"), "-o", langs]);
  ({ problems } = await open(page, langs));
  await page.click("#fit");
  await page.locator("#s0").click();
  await page.waitForFunction(() => document.querySelector("#details h2")?.textContent === "welcome");
  const text = await page.locator("#details").innerText();
  assert.match(text, /fr-FR\s+Bonjour\. For English, press 9\./);
  assert.match(text, /en-US\s+▶ audio\/chime\.wav\s+Hello\./);
  assert.match(text, /says \(fr-FR\) “anglais”, “english”; says \(en-US\) “english”/);
  assert.match(text, /re-prompt 2 \(repeats\)[^\n]*\n\s*Tapez 9 pour l'anglais\./);
  assert.doesNotMatch(text, /\[object Object\]/);
  assert.deepEqual(problems, []);
  await page.close();
});

test("500 states: the page loads and a deep state opens", async () => {
  const machine = path.join(work, "big.yaml");
  writeFileSync(machine, execFileSync("python3", [path.join(root, "tests/machines/big_machine.py"), "500"], { encoding: "utf8" }));
  const html = path.join(work, "big.html");
  const t0 = Date.now();
  run(["view", machine, "-o", html]);
  const generate = Date.now() - t0;
  const page = await context.newPage();
  const { problems, ms } = await open(page, html);
  const count = await page.evaluate(() => [...document.querySelectorAll("g.node")].filter((g) => /^s\d+$/.test(g.id)).length);
  assert.equal(count, 500);
  await page.fill("#search", "s400");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#details h2")?.textContent === "s400");
  const details = await page.locator("#details").innerText();
  assert.match(details, new RegExp(`big\\.yaml:${stateLine(machine, "s400")}\\b`));
  assert.match(details, /GET \/lookup\/\{id\}/);
  await page.locator("#s400").click();
  assert.equal(await page.locator("#s400.selected").count(), 1);
  await page.screenshot({ path: path.join(artefacts, "view-500-states.png") });
  assert.deepEqual(problems, []);
  console.log(`# 500 states: page written in ${generate} ms (${(readFileSync(html).length / 1024).toFixed(0)} KiB), opened in ${ms} ms`);
  await page.close();
});
