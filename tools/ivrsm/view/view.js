/*
 * The page of `ivrsm view`: the drawing (Graphviz SVG, states with ids
 * "s<i>", edges "e<i>_<j>"), the details of a state, search, the replay of
 * recorded calls and coverage colours. Everything it reads is the JSON in
 * #ivrsm-data (written by tools/ivrsm/view_data.c); it fetches nothing.
 */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("ivrsm-data").textContent);
  const doc = data.doc || {};
  const docStates = doc.states || {};
  const states = data.states;
  const transitions = data.transitions;
  const byName = new Map(states.map((s, i) => [s.name, i]));
  const outOf = states.map(() => []);
  const into = states.map(() => []);
  transitions.forEach((t, k) => { outOf[t.from].push(k); into[t.to].push(k); });

  const $ = (id) => document.getElementById(id);
  const svg = document.querySelector("#canvas svg");
  const node = (i) => document.getElementById("s" + i);
  const edge = (id) => document.getElementById(id);

  // ---------------------------------------------------------------------------
  // Small DOM helpers (text only: nothing from the machine becomes markup)

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "onclick") e.addEventListener("click", v);
      else e.setAttribute(k, v);
    }
    put(e, children);
    return e;
  }

  // Append nodes, texts and (nested) lists of them; null, undefined and false are nothing.
  function put(parent, ...items) {
    for (const c of items.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  function stateLink(name) {
    const i = byName.get(name);
    if (i === undefined) return el("span", {}, String(name));
    return el("a", { class: "state", "data-state": name, onclick: () => select(i, true) }, name);
  }

  function where(line) {
    return line ? el("span", { class: "where" }, el("code", {}, data.machine.file + ":" + line)) : "";
  }

  function lineOf(pointer) {
    return data.lines[pointer] || 0;
  }

  function pointer(...parts) {
    return "/" + parts.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
  }

  // ${globals.a.b} as the loader resolves it, for display next to the text as written.
  function resolveGlobals(value) {
    if (typeof value !== "string" || !value.includes("${globals.")) return null;
    let changed = false;
    const out = value.replace(/\$\{globals\.([^}]+)\}/g, (whole, path) => {
      let v = doc.globals;
      for (const part of path.split(".")) v = v && typeof v === "object" ? v[part] : undefined;
      if (v === undefined) return whole;
      changed = true;
      return typeof v === "string" ? v : JSON.stringify(v);
    });
    return changed ? out : null;
  }

  function valueText(v) {
    if (typeof v === "string") {
      const r = resolveGlobals(v);
      return r === null ? v : [v, el("span", { class: "resolved" }, "  → " + r)];
    }
    return JSON.stringify(v);
  }

  function jsonBlock(v) {
    return el("pre", { class: "json" }, JSON.stringify(v, null, 2));
  }

  // ---------------------------------------------------------------------------
  // Pan and zoom, on the SVG's viewBox

  const home = svg.viewBox.baseVal ? {
    x: svg.viewBox.baseVal.x, y: svg.viewBox.baseVal.y,
    w: svg.viewBox.baseVal.width, h: svg.viewBox.baseVal.height,
  } : { x: 0, y: 0, w: 1000, h: 1000 };
  let view = Object.assign({}, home);
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");

  function applyView() {
    svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  }

  function fit() {
    view = Object.assign({}, home);
    applyView();
  }

  function svgPoint(clientX, clientY) {
    const p = svg.createSVGPoint();
    p.x = clientX;
    p.y = clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }

  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const p = svgPoint(ev.clientX, ev.clientY);
    const f = Math.exp(Math.sign(ev.deltaY) * 0.15);
    const w = Math.min(home.w * 4, Math.max(home.w / 400, view.w * f));
    const k = w / view.w;
    view = { x: p.x - (p.x - view.x) * k, y: p.y - (p.y - view.y) * k, w, h: view.h * k };
    applyView();
  }, { passive: false });

  let drag = null;
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, view: Object.assign({}, view), moved: false };
  });
  window.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const ctm = svg.getScreenCTM();
    const dx = (ev.clientX - drag.x) / ctm.a, dy = (ev.clientY - drag.y) / ctm.d;
    if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 3) {
      drag.moved = true;
      $("canvas").classList.add("dragging");
    }
    view = Object.assign({}, drag.view, { x: drag.view.x - dx, y: drag.view.y - dy });
    applyView();
  });
  window.addEventListener("pointerup", () => {
    if (drag && drag.moved) suppressClick = true;
    drag = null;
    $("canvas").classList.remove("dragging");
  });
  let suppressClick = false;

  // Bring state i into view (zooming in when the whole machine is too small to read).
  function reveal(i) {
    const n = node(i);
    if (!n) return;
    const b = n.getBBox();
    const g = n.ownerSVGElement.getElementById("graph0") || n.parentNode;
    const m = g.transform && g.transform.baseVal.consolidate();
    const tx = m ? m.matrix.e : 0, ty = m ? m.matrix.f : 0;
    const cx = b.x + b.width / 2 + tx, cy = b.y + b.height / 2 + ty;
    const readable = Math.min(view.w, Math.max(b.width * 8, 600));
    const k = readable / view.w;
    const w = view.w * k, h = view.h * k;
    const inside = cx > view.x && cx < view.x + view.w && cy > view.y && cy < view.y + view.h;
    if (inside && k === 1) return;
    view = { x: cx - w / 2, y: cy - h / 2, w, h };
    applyView();
  }

  $("fit").addEventListener("click", fit);

  // ---------------------------------------------------------------------------
  // Details of a state

  let selected = -1;

  // What takes a transition besides its kind: a route's intent, text or condition, a status.
  function edgeWords(t) {
    if (t.kind === "route") return t.label;
    if (t.kind === "status") return (t.label || "").replace(/^status /, "");
    return "";
  }

  function transitionRow(k, dir) {
    const t = transitions[k];
    const other = dir === "out" ? states[t.to].name : states[t.from].name;
    const cov = data.coverage
      ? el("td", { class: data.coverage.transitions[k] ? "hits-yes" : "hits-no" },
        data.coverage.transitions[k] ? "×" + data.coverage.transitions[k] : "never")
      : null;
    return el("tr", { "data-transition": k },
      el("td", {}, el("span", { class: "tag" }, t.kind), edgeWords(t)),
      el("td", {}, dir === "out" ? "→ " : "← ", stateLink(other)),
      cov,
      el("td", { class: "line" }, t.line ? ":" + t.line : ""));
  }

  function intentWords(name) {
    const it = (doc.intents || {})[name];
    if (!it) return "";
    const parts = [];
    if (Array.isArray(it.dtmf) && it.dtmf.length) parts.push("keys " + it.dtmf.join(", "));
    const says = (list) => "“" + list.slice(0, 4).join("”, “") + "”" + (list.length > 4 ? "…" : "");
    if (Array.isArray(it.utterances) && it.utterances.length) parts.push("says " + says(it.utterances));
    else if (isByLanguage(it.utterances))
      for (const [lang, list] of Object.entries(it.utterances)) if (Array.isArray(list)) parts.push("says (" + lang + ") " + says(list));
    return parts.join("; ");
  }

  function setText(set) {
    if (!set || typeof set !== "object") return null;
    return el("div", { class: "where" }, "set " + Object.entries(set).map(([k, v]) => k + " = " + JSON.stringify(v)).join(", "));
  }

  const isPart = (p) => p && typeof p === "object" && !Array.isArray(p) && (p.say !== undefined || p.play !== undefined);
  const isByLanguage = (v) => v && typeof v === "object" && !Array.isArray(v) && !isPart(v);

  // A message: a text, a list of parts ({say: TEXT} words, {play: URI} a recording),
  // or a map of those by language.
  function messageParts(value) {
    if (isByLanguage(value))
      return Object.entries(value).map(([lang, m]) => el("div", { class: "lang" }, el("span", { class: "tag" }, lang), messageParts(m)));
    const parts = Array.isArray(value) ? value : [value];
    return parts.map((p) => {
      if (typeof p === "string") return el("div", { class: "prompt" }, valueText(p));
      if (p && typeof p === "object" && p.say !== undefined) return el("div", { class: "prompt" }, valueText(p.say));
      if (p && typeof p === "object" && p.play !== undefined) return el("div", { class: "prompt play" }, "▶ ", valueText(p.play));
      return el("div", { class: "prompt" }, JSON.stringify(p));
    });
  }

  function promptBlock(label, value, line) {
    if (value === undefined) return null;
    return el("div", {}, el("div", { class: "where" }, label, " ", where(line)), messageParts(value));
  }

  function outcomeSection(title, o, base) {
    if (!o || typeof o !== "object") return null;
    return [el("h3", {}, title, " ", where(lineOf(base))),
      promptBlock("prompt", o.prompt, lineOf(base + "/prompt")),
      promptBlock("prompt_template", o.prompt_template, lineOf(base + "/prompt_template")),
      setText(o.set),
      o.next ? el("div", {}, "next → ", stateLink(o.next)) : null,
      otherKeys(o, ["prompt", "prompt_template", "prompt_from_action", "set", "next"], base)];
  }

  // Re-prompts: a list of messages, or a list by language.
  function repromptBlocks(prompts, base) {
    if (isByLanguage(prompts))
      return Object.entries(prompts).map(([lang, list]) =>
        el("div", { class: "lang" }, el("span", { class: "tag" }, lang), repromptBlocks(list, base + "/" + lang)));
    if (!Array.isArray(prompts)) return null;
    return prompts.map((m, k) => promptBlock("re-prompt " + (k + 1) + (k === prompts.length - 1 ? " (repeats)" : ""), m, lineOf(base + "/" + k)));
  }

  function counterSection(title, c, base) {
    if (!c || typeof c !== "object") return null;
    return [el("h3", {}, title, " ", where(lineOf(base))),
      el("div", {}, c.max !== undefined ? ["after ", valueText(c.max), " "] : "",
        c.next ? ["→ ", stateLink(c.next)] : "re-prompt, then the globals' limit"),
      setText(c.set),
      repromptBlocks(c.prompts, base + "/prompts"),
      otherKeys(c, ["max", "next", "set", "prompts"], base)];
  }

  // Keys this page has no section for (a newer format): shown as written.
  function otherKeys(obj, known, base) {
    const rest = Object.keys(obj).filter((k) => !known.includes(k));
    return rest.map((k) => el("div", {}, el("span", { class: "tag" }, k), " ", where(lineOf(base + "/" + k)),
      typeof obj[k] === "object" && obj[k] !== null ? jsonBlock(obj[k]) : el("span", {}, valueText(obj[k]))));
  }

  function renderDetails(i) {
    const s = states[i];
    const d = docStates[s.name] || {};
    const base = pointer("states", s.name);
    const box = $("details");
    box.replaceChildren();
    const visits = data.coverage ? data.coverage.states[i] : null;
    put(box, el("h2", {}, s.name),
      el("div", {}, el("span", { class: "tag" }, s.type),
        i === data.machine.initial ? el("span", { class: "tag" }, "initial") : null,
        visits !== null ? el("span", { class: visits ? "hits-yes" : "hits-no" }, visits ? "visited ×" + visits : "never visited") : null,
        " ", where(s.line)));
    if (d.description) put(box, el("p", { class: "hint" }, d.description));
    const prompts = [promptBlock("prompt_before", d.prompt_before, lineOf(base + "/prompt_before")),
      promptBlock("prompt", d.prompt, lineOf(base + "/prompt")),
      promptBlock("prompt_template", d.prompt_template, lineOf(base + "/prompt_template"))].filter(Boolean);
    if (prompts.length) put(box, el("h3", {}, "Prompt"), prompts);
    if (Array.isArray(d.routes) && d.routes.length) {
      put(box, el("h3", {}, "Routes"), el("table", {},
        el("tr", {}, el("th", {}, "when"), el("th", {}, "next"), el("th", {}, "")),
        d.routes.map((r, k) => el("tr", {},
          el("td", {},
            r.when_intent !== undefined ? [el("b", {}, r.when_intent), el("div", { class: "where" }, intentWords(r.when_intent))] : null,
            r.when_text !== undefined ? (isByLanguage(r.when_text)
              ? Object.entries(r.when_text).map(([lang, t]) => [el("span", { class: "tag" }, lang), "text “", t, "” "])
              : ["text “", r.when_text, "”"]) : null,
            r.when !== undefined ? el("div", {}, "if ", el("code", {}, String(r.when))) : null,
            setText(r.set),
            otherKeys(r, ["when_intent", "when_text", "when", "set", "next"], base + "/routes/" + k)),
          el("td", {}, stateLink(r.next)),
          el("td", { class: "line" }, ":" + lineOf(base + "/routes/" + k))))));
    }
    if (d.collect) {
      const c = d.collect;
      put(box, el("h3", {}, "Collect ", where(lineOf(base + "/collect"))),
        el("div", {}, "mode ", el("b", {}, String(c.mode)),
          c.target ? [" → ctx.", c.target] : "",
          c.length !== undefined ? [", ", valueText(c.length), " digits"] : "",
          c.allow_dtmf !== undefined ? [", keys ", c.allow_dtmf ? "allowed" : "refused"] : ""),
        c.validate ? el("div", { class: "where" }, "requires " + Object.keys(c.validate).join(", ")) : null,
        c.retry ? el("div", {}, "retry: after ", valueText(c.retry.max), " failures → ", stateLink(c.retry.on_fail_next), " ", where(lineOf(base + "/collect/retry"))) : null,
        otherKeys(c, ["mode", "target", "length", "allow_dtmf", "validate", "retry"], base + "/collect"));
    }
    put(box, counterSection("No input", d.noinput, base + "/noinput") || [],
      counterSection("No match", d.nomatch, base + "/nomatch") || [],
      counterSection("Fallback", d.fallback, base + "/fallback") || []);
    const action = d.action;
    if (action && typeof action === "object") {
      put(box, el("h3", {}, "Action ", where(lineOf(base + "/action"))),
        el("div", {}, el("b", {}, valueText(action.call))),
        ["path", "query", "headers", "body"].filter((k) => action[k] !== undefined).map((k) =>
          el("div", {}, el("span", { class: "tag" }, k), jsonBlock(action[k]))),
        action.timeout_ms !== undefined ? el("div", { class: "where" }, "timeout " + action.timeout_ms + " ms") : null,
        otherKeys(action, ["call", "path", "query", "headers", "body", "timeout_ms", "on_success", "on_fail",
          "on_status", "on_timeout", "on_error"], base + "/action"));
    }
    if (s.type === "handoff") {
      put(box, el("h3", {}, "Handoff"),
        el("div", {}, "queue ", el("b", {}, d.queue_id !== undefined ? valueText(d.queue_id) : "globals.handoff.queue_id"),
          d.enabled !== undefined ? [", enabled: ", valueText(d.enabled)] : ""));
    }
    const success = d.on_success || (action && action.on_success);
    const failure = d.on_fail || (action && action.on_fail);
    const okBase = d.on_success ? base + "/on_success" : base + "/action/on_success";
    const failBase = d.on_fail ? base + "/on_fail" : base + "/action/on_fail";
    put(box, outcomeSection("On success", success, okBase));
    // Outcomes by status, timeout and error (format 1.1), beside the action or inside it.
    for (const [where0, holder] of [[base, d], [base + "/action", action || {}]]) {
      if (holder.on_status && typeof holder.on_status === "object")
        for (const [code, o] of Object.entries(holder.on_status))
          put(box, outcomeSection("On status " + code, o, where0 + pointer("on_status", code)));
      put(box, outcomeSection("On timeout", holder.on_timeout, where0 + "/on_timeout"),
        outcomeSection("On error", holder.on_error, where0 + "/on_error"));
    }
    put(box, outcomeSection("On fail", failure, failBase));
    if (d.next) put(box, el("h3", {}, "Next ", where(lineOf(base + "/next"))), el("div", {}, "→ ", stateLink(d.next)));
    put(box, otherKeys(d, ["type", "description", "prompt_before", "prompt", "prompt_template", "prompt_from_action", "routes", "collect",
      "noinput", "nomatch", "fallback", "action", "on_success", "on_fail", "on_status", "on_timeout", "on_error",
      "next", "enabled", "queue_id"], base));
    if (outOf[i].length) put(box, el("h3", {}, "Transitions out (" + outOf[i].length + ")"), el("table", {}, outOf[i].map((k) => transitionRow(k, "out"))));
    if (into[i].length) put(box, el("h3", {}, "Transitions in (" + into[i].length + ")"), el("table", {}, into[i].map((k) => transitionRow(k, "in"))));
  }

  function select(i, bringIntoView) {
    if (selected >= 0 && node(selected)) node(selected).classList.remove("selected");
    document.querySelectorAll("g.edge.related").forEach((e) => e.classList.remove("related"));
    selected = i;
    const n = node(i);
    if (n) n.classList.add("selected");
    for (const k of outOf[i].concat(into[i])) {
      const e = edge(transitions[k].edge);
      if (e) e.classList.add("related");
    }
    renderDetails(i);
    if (bringIntoView) reveal(i);
    history.replaceState(null, "", "#" + encodeURIComponent(states[i].name));
  }

  states.forEach((s, i) => {
    const n = node(i);
    if (!n) return;
    n.addEventListener("click", () => {
      if (suppressClick) { suppressClick = false; return; }
      select(i, false);
    });
  });

  // ---------------------------------------------------------------------------
  // Search: states by name, intents by name (the states whose routes use them)

  const results = $("results");
  let hits = [];
  let active = 0;

  function search(q) {
    q = q.trim().toLowerCase();
    document.querySelectorAll("g.node.match").forEach((n) => n.classList.remove("match"));
    hits = [];
    if (!q) { results.hidden = true; return; }
    states.forEach((s, i) => { if (s.name.toLowerCase().includes(q)) hits.push({ i, text: s.name, kind: s.type }); });
    const seen = new Set();
    transitions.forEach((t) => {
      if (!t.intent || !t.intent.toLowerCase().includes(q)) return;
      const key = t.intent + "\u0000" + t.from;
      if (seen.has(key)) return;
      seen.add(key);
      hits.push({ i: t.from, text: t.intent, kind: "intent in " + states[t.from].name });
    });
    for (const h of hits) { const n = node(h.i); if (n) n.classList.add("match"); }
    active = 0;
    results.replaceChildren(...(hits.length ? hits.slice(0, 60).map((h, k) =>
      el("li", { class: k === 0 ? "active" : "", onclick: () => choose(k) }, h.text, el("span", { class: "kind" }, h.kind)))
      : [el("li", { class: "hint" }, "nothing matches")]));
    results.hidden = false;
  }

  function choose(k) {
    if (!hits[k]) return;
    results.hidden = true;
    select(hits[k].i, true);
  }

  $("search").addEventListener("input", (ev) => search(ev.target.value));
  $("search").addEventListener("keydown", (ev) => {
    const items = results.querySelectorAll("li");
    if (ev.key === "Enter") { ev.preventDefault(); choose(active); }
    else if (ev.key === "Escape") { results.hidden = true; }
    else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      if (!items.length) return;
      items[active] && items[active].classList.remove("active");
      active = (active + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % Math.min(items.length, hits.length || 1);
      items[active] && items[active].classList.add("active");
    }
  });
  document.addEventListener("click", (ev) => { if (!ev.target.closest(".find")) results.hidden = true; });

  // ---------------------------------------------------------------------------
  // Coverage

  if (data.coverage) {
    const c = data.coverage;
    svg.classList.add("cov");
    states.forEach((s, i) => { const n = node(i); if (n) n.classList.add(c.states[i] ? "cov-yes" : "cov-no"); });
    const perEdge = new Map();
    transitions.forEach((t, k) => {
      const e = perEdge.get(t.edge) || { hit: 0, all: 0 };
      e.all++;
      if (c.transitions[k]) e.hit++;
      perEdge.set(t.edge, e);
    });
    for (const [id, e] of perEdge) {
      const g = edge(id);
      if (g) g.classList.add(e.hit === e.all ? "cov-yes" : e.hit ? "cov-part" : "cov-no");
    }
    const visited = c.states.filter((v) => v > 0).length;
    const taken = c.transitions.filter((v) => v > 0).length;
    const pct = (a, b) => (b ? (100 * a / b).toFixed(1) : "100.0") + "%";
    $("covsummary").replaceChildren();
    put($("covsummary"), "coverage: states ", visited + "/" + states.length + " (" + pct(visited, states.length) + ")",
      ", transitions ", taken + "/" + transitions.length + " (" + pct(taken, transitions.length) + ")",
      el("span", { class: "swatch", style: "background: var(--ok)" }), "covered",
      el("span", { class: "swatch", style: "background: var(--part)" }), "partly",
      el("span", { class: "swatch", style: "background: var(--no)" }), "never");
    $("covsummary").hidden = false;
    $("covtoggle").hidden = false;
    $("showcov").addEventListener("change", (ev) => svg.classList.toggle("cov", ev.target.checked));
  }

  // ---------------------------------------------------------------------------
  // Replay of recorded calls

  // One step per record that shows something: a move, what was said, heard, sent.
  function stepsOf(trace) {
    const steps = [];
    let pendingHttp = null;
    const records = trace.records;
    for (let r = 0; r < records.length; r++) {
      const rec = records[r];
      if (rec.kind === "transition" && byName.has(rec.to)) {
        steps.push({ kind: "move", who: "→", text: (rec.from ? rec.from + " → " : "") + rec.to + "  (" + rec.reason + ")",
          from: rec.from, to: rec.to, reason: rec.reason });
      } else if (rec.kind === "command") {
        if (rec.type === "say" || rec.type === "ask") {
          const parts = Array.isArray(rec.parts) ? rec.parts : [];
          const text = parts.some((p) => p && p.play !== undefined)
            ? parts.map((p) => (p.play !== undefined ? "▶ " + p.play : p.say)).join(" ")
            : rec.text || (rec.type === "ask" ? "(listens)" : "");
          steps.push({ kind: "ivr", who: rec.type === "ask" ? "ASK" : "SAY", text, state: rec.state });
        } else if (rec.type === "http") {
          pendingHttp = { kind: "http", who: "HTTP", text: rec.method + " " + rec.path + (rec.query ? "?" + rec.query : ""),
            state: rec.state, status: null };
          steps.push(pendingHttp);
        } else if (rec.type === "handoff") {
          steps.push({ kind: "http", who: "HANDOFF", text: "to " + (rec.queue || "?") + (rec.text ? " · " + rec.text : ""), state: rec.state });
        } else if (rec.type === "hangup") {
          steps.push({ kind: "ivr", who: "HANGUP", text: rec.reason || "", state: rec.state });
        }
      } else if (rec.kind === "event") {
        if (rec.type === "action_result") {
          if (pendingHttp) {
            pendingHttp.status = rec.status;
            pendingHttp.error = rec.error;
            pendingHttp = null;
          }
        } else if (rec.type === "handoff_result") {
          steps.push({ kind: "http", who: "HANDOFF", text: rec.ok ? "accepted" : "failed", state: rec.state, status: rec.ok ? 200 : 0 });
        } else {
          const heard = rec.type === "dtmf" ? "dtmf " + rec.text : rec.type === "speech" ? "“" + rec.text + "”"
            : rec.type === "intent" ? "intent " + rec.text : rec.type;
          steps.push({ kind: "you", who: "CALLER", text: heard, state: rec.state });
        }
      }
    }
    return steps;
  }

  const traces = (data.traces || []).map((t) => ({ file: t.file, steps: stepsOf(t) }));
  let trace = null;
  let step = -1;

  function statusText(s) {
    if (s.who !== "HTTP") return null;
    if (s.status === null || s.status === undefined) return el("span", { class: "status-bad" }, " → no answer");
    const ok = s.status >= 200 && s.status < 300;
    return el("span", { class: ok ? "status-ok" : "status-bad" }, " → " + (s.status || "") + (s.error ? " " + s.error : ""));
  }

  function loadTrace(k) {
    trace = traces[k];
    const log = $("log");
    log.replaceChildren();
    put(log, el("div", { class: "where" }, "call " + trace.file + " · " + trace.steps.length + " steps"),
      trace.steps.map((s, n) => el("div", { class: "entry future " + s.kind, "data-step": n },
        el("span", { class: "who" }, s.who), el("span", { class: "text" }, s.text, statusText(s)))));
    log.hidden = false;
    svg.classList.add("replaying");
    go(0);
  }

  function go(n) {
    if (!trace || !trace.steps.length) return;
    step = Math.max(0, Math.min(trace.steps.length - 1, n));
    document.querySelectorAll("g.node.current, g.node.visited").forEach((e) => e.classList.remove("current", "visited"));
    document.querySelectorAll("g.edge.taken, g.edge.last").forEach((e) => e.classList.remove("taken", "last"));
    let current = -1, lastEdge = null;
    for (let k = 0; k <= step; k++) {
      const s = trace.steps[k];
      if (s.kind !== "move") continue;
      const to = byName.get(s.to);
      current = to;
      const n2 = node(to);
      if (n2) n2.classList.add("visited");
      const from = s.from ? byName.get(s.from) : undefined;
      if (from !== undefined) {
        const e = edge("e" + from + "_" + to);
        if (e) { e.classList.add("taken"); lastEdge = e; }
      }
    }
    if (current < 0) {
      const s = trace.steps[step];
      if (s.state && byName.has(s.state)) current = byName.get(s.state);
    }
    if (lastEdge && trace.steps[step].kind === "move") lastEdge.classList.add("last");
    if (current >= 0 && node(current)) {
      node(current).classList.add("current");
      reveal(current);
    }
    $("log").querySelectorAll(".entry").forEach((e) => {
      const k = Number(e.dataset.step);
      e.classList.toggle("future", k > step);
      e.classList.toggle("current", k === step);
    });
    const cur = $("log").querySelector(".entry.current");
    if (cur) cur.scrollIntoView({ block: "nearest" });
    $("stepinfo").textContent = "step " + (step + 1) + " of " + trace.steps.length;
    $("stepinfo").dataset.current = current >= 0 ? states[current].name : "";
    $("first").disabled = $("prev").disabled = step === 0;
    $("next").disabled = $("last").disabled = step === trace.steps.length - 1;
  }

  if (traces.length) {
    $("trace").replaceChildren(...traces.map((t, k) => el("option", { value: k, title: t.file }, t.file.split("/").pop())));
    $("trace").addEventListener("change", (ev) => loadTrace(Number(ev.target.value)));
    $("first").addEventListener("click", () => go(0));
    $("prev").addEventListener("click", () => go(step - 1));
    $("next").addEventListener("click", () => go(step + 1));
    $("last").addEventListener("click", () => go(trace.steps.length - 1));
    document.addEventListener("keydown", (ev) => {
      if (ev.target.closest("input, select, textarea")) return;
      if (ev.key === "ArrowRight") go(step + 1);
      else if (ev.key === "ArrowLeft") go(step - 1);
      else if (ev.key === "Home") go(0);
      else if (ev.key === "End") go(trace.steps.length - 1);
    });
    $("replay").hidden = false;
  }

  // ---------------------------------------------------------------------------
  // Start

  $("title").replaceChildren(data.machine.name, " ", el("small", {}, data.machine.version + " · " + states.length + " states · " + transitions.length + " transitions"));
  applyView();
  if (traces.length) loadTrace(0);
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (byName.has(wanted)) select(byName.get(wanted), true);
  else if (!traces.length) $("details").replaceChildren(el("p", { class: "hint" },
    "Click a state to see its prompts, routes, collect, action and outcomes, with the lines they come from. " +
    "Scroll to zoom, drag to move, type in the search box to find a state or an intent."));
  else select(data.machine.initial, false);
})();
