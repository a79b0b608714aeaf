'use strict';
/*
 * An ivrsm machine (its JSON form, as `ivrsm convert` writes it) turned into
 * an XState v5 machine that does the same work on the scripted call of
 * tests/bench_runtime.c: ask commands with rendered prompts (whitespace
 * collapsed), intents by keys and by phrases, the phone, otp and date
 * collects, http commands with path, query, headers and a JSON body rendered
 * from templates, outcomes that set ctx from the answer and say a template,
 * `next`, `fallback`. It covers what the seed machine's happy path uses, as
 * the comparison needs; it is not a second implementation of the format.
 */
const { createMachine, assign } = require('xstate');

/* ${globals.a.b} references, resolved once as the loader does. */
function resolveGlobals(value, globals) {
  if (typeof value === 'string') {
    const whole = /^\$\{globals\.([\w.]+)\}$/.exec(value);
    if (whole) return lookup(globals, whole[1].split('.'));
    return value.replace(/\$\{globals\.([\w.]+)\}/g, (_, p) => String(lookup(globals, p.split('.'))));
  }
  if (Array.isArray(value)) return value.map((v) => resolveGlobals(v, globals));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveGlobals(v, globals);
    return out;
  }
  return value;
}

function lookup(root, path) {
  let v = root;
  for (const k of path) v = v == null ? undefined : v[k];
  return v;
}

/* Speech normalised as for matching: lower case, no accents, words separated by one space. */
function normalize(text) {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function hasPhrase(said, phrase) {
  return (' ' + said + ' ').includes(' ' + phrase + ' ');
}

/* Templates: {{path}}, {{path[0].x}}, {{#if a == 0}}…{{else}}…{{/if}}. */
function compileTemplate(src) {
  const parts = [];
  const re = /\{\{\s*(#if\s+[^}]+|else|\/if|[^}]+?)\s*\}\}/g;
  let last = 0;
  let m;
  while ((m = re.exec(src))) {
    if (m.index > last) parts.push({ text: src.slice(last, m.index) });
    const tag = m[1];
    if (tag.startsWith('#if')) parts.push({ if: compileExpr(tag.slice(3).trim()) });
    else if (tag === 'else') parts.push({ else: true });
    else if (tag === '/if') parts.push({ endif: true });
    else parts.push({ value: compilePath(tag) });
    last = re.lastIndex;
  }
  if (last < src.length) parts.push({ text: src.slice(last) });
  const single = parts.length === 1 && parts[0].value ? parts[0].value : null;
  return { parts, single };
}

function compilePath(text) {
  const segs = [];
  text.replace(/([A-Za-z_][\w-]*)|\[(\d+)\]/g, (_, key, index) => {
    segs.push(key !== undefined ? key : Number(index));
    return '';
  });
  return segs;
}

function compileExpr(text) {
  const eq = /^(.+?)\s*==\s*(.+)$/.exec(text);
  if (eq) return { left: compilePath(eq[1]), right: JSON.parse(eq[2]) };
  return { left: compilePath(text) };
}

function resolve(scope, segs) {
  let v = scope;
  for (const s of segs) v = v == null ? undefined : v[s];
  return v;
}

function valueText(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function render(t, scope) {
  let out = '';
  const skipping = [];
  for (const p of t.parts) {
    if (p.if) {
      const v = resolve(scope, p.if.left);
      skipping.push(!('right' in p.if ? v === p.if.right : Boolean(v)));
    } else if (p.else) {
      skipping[skipping.length - 1] = !skipping[skipping.length - 1];
    } else if (p.endif) {
      skipping.pop();
    } else if (!skipping.includes(true)) {
      out += p.text !== undefined ? p.text : valueText(resolve(scope, p.value));
    }
  }
  return out;
}

/* A value of a body or a set: templates keep the type of a whole {{expr}}. */
function compileValue(v) {
  if (typeof v === 'string') return v.includes('{{') ? { tmpl: compileTemplate(v) } : { lit: v };
  if (Array.isArray(v)) return { list: v.map(compileValue) };
  if (v && typeof v === 'object') return { map: Object.entries(v).map(([k, x]) => [k, compileValue(x)]) };
  return { lit: v };
}

function evalValue(c, scope) {
  if ('lit' in c) return c.lit;
  if (c.tmpl) return c.tmpl.single ? resolve(scope, c.tmpl.single) ?? null : render(c.tmpl, scope);
  if (c.list) return c.list.map((x) => evalValue(x, scope));
  const o = {};
  for (const [k, x] of c.map) o[k] = evalValue(x, scope);
  return o;
}

function spoken(text) {
  return text.replace(/\s+/g, ' ').trim();
}

/* Collect modes (fr-FR), enough for the seed's callers. */
const DIGIT_WORDS = { zero: 0, un: 1, une: 1, deux: 2, trois: 3, quatre: 4, cinq: 5, six: 6, sept: 7, huit: 8, neuf: 9 };
const WEEKDAYS = ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'];

function collect(mode, text, dtmf, now) {
  if (mode === 'phone') {
    const digits = (dtmf ? text.replace(/#$/, '') : normalize(text).replace(/ /g, ''));
    return /^0[1-9]\d{8}$/.test(digits) ? { phone_e164: '+33' + digits.slice(1) } : null;
  }
  if (mode === 'otp') {
    let digits = '';
    if (dtmf) digits = text.replace(/#$/, '');
    else for (const w of normalize(text).split(' ')) {
      if (/^\d+$/.test(w)) digits += w;
      else if (w in DIGIT_WORDS) digits += DIGIT_WORDS[w];
      else return null;
    }
    return /^\d{6}$/.test(digits) ? { otp: digits } : null;
  }
  if (mode === 'date_nl') {
    const words = normalize(text).split(' ');
    const day = WEEKDAYS.findIndex((d) => words.includes(d));
    if (day < 0) return null;
    /* "lundi (prochain)": the next such day, from and to the same day. */
    const d = new Date(now);
    const ahead = (day - d.getUTCDay() + 7) % 7 || 7;
    const date = new Date(d.getTime() + ahead * 86400000).toISOString().slice(0, 10);
    return { pref_date_from: date, pref_date_to: date };
  }
  return mode === 'free_speech_or_no' ? { cancel_comment: text } : null;
}

/* XState reads '.' in ids and targets as a path: state names are written with '_' instead. */
function key(name) {
  return name.replace(/\./g, '_');
}

function generate(doc, now) {
  const globals = doc.globals || {};
  const states = resolveGlobals(doc.states, globals);
  const intents = {};
  for (const [name, i] of Object.entries(doc.intents || {}))
    intents[name] = { dtmf: i.dtmf || [], phrases: (i.utterances || []).map(normalize) };

  const message = (st) => {
    const src = st.prompt_template || st.prompt;
    return src ? compileTemplate(src) : null;
  };
  const outcome = (o) =>
    o && {
      set: Object.entries(o.set || {}).map(([k, v]) => [k, compileValue(v)]),
      prompt: o.prompt_template || o.prompt ? compileTemplate(o.prompt_template || o.prompt) : null,
      next: o.next,
    };

  const scopeOf = (context, resp) => ({ ctx: context.ctx, resp, globals });
  const say = (context, t, resp) => {
    if (t) context.said.push(spoken(render(t, scopeOf(context, resp))));
  };
  const config = { id: doc.machine, initial: key(Object.keys(states)[0]), states: {} };

  const applySet = (context, set, resp) => {
    if (!set.length) return context.ctx;
    const ctx = { ...context.ctx };
    for (const [k, v] of set) ctx[k] = evalValue(v, { ctx: context.ctx, resp, globals });
    return ctx;
  };

  const routeMatches = (route, event) => {
    if (route.when_intent) {
      const i = intents[route.when_intent];
      if (event.type === 'DTMF') return i.dtmf.includes(event.text);
      const said = normalize(event.text);
      return i.phrases.some((p) => hasPhrase(said, p));
    }
    if (route.when_text) return event.type === 'SPEECH' && hasPhrase(normalize(event.text), normalize(route.when_text));
    return false;
  };

  const ask = (name, st) => {
    const t = message(st);
    return ({ context }) => {
      /* What was said on the way, then the prompt; nothing at all: the last question again. */
      const parts = context.said.filter(Boolean);
      if (t) parts.push(spoken(render(t, scopeOf(context))));
      const text = parts.length ? parts.join(' ') : context.lastAsk;
      context.said.length = 0;
      context.lastAsk = text;
      context.out.push({ type: 'ask', state: name, text, dtmf: true, speech: true });
    };
  };

  const http = (name, action) => {
    const [method, path] = action.call.split(' ');
    const pathParams = Object.entries(action.path || {}).map(([k, v]) => [k, compileValue(v)]);
    const query = Object.entries(action.query || {}).map(([k, v]) => [k, compileValue(v)]);
    const headers = Object.entries(action.headers || {}).map(([k, v]) => [k, compileValue(v)]);
    const body = action.body ? compileValue(action.body) : null;
    const endpoint = Object.entries(globals.endpoints || {}).find(([, v]) => v === action.call);
    return ({ context }) => {
      if (context.said.length) {
        context.out.push({ type: 'say', text: context.said.join(' ') });
        context.said.length = 0;
      }
      const scope = scopeOf(context);
      const id = ++context.nextId;
      let p = path;
      for (const [k, v] of pathParams) p = p.replace('{' + k + '}', encodeURIComponent(valueText(evalValue(v, scope))));
      context.out.push({
        type: 'http',
        id,
        endpoint: endpoint && endpoint[0],
        method,
        path: p,
        query: query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(valueText(evalValue(v, scope)))}`).join('&') || null,
        headers: headers.map(([k, v]) => ({ name: k, value: valueText(evalValue(v, scope)) })),
        body: body ? JSON.stringify(evalValue(body, scope)) : null,
        idempotencyKey: `${context.sessionId}-${id}`,
      });
    };
  };

  /* ACTION_RESULT: the answer parsed (once), the outcome's set and prompt, then its next. */
  const INVALID = Symbol('invalid');
  const answer = (event) => {
    if (!('resp' in event)) {
      try {
        event.resp = event.body && event.body.trim() ? JSON.parse(event.body) : {};
      } catch {
        event.resp = INVALID;
      }
    }
    return event.resp === INVALID ? undefined : event.resp;
  };
  const results = (st, fallbackNext) => {
    const ok = outcome(st.on_success);
    const fail = outcome(st.on_fail);
    const take = (o) => ({
      target: '#' + key(o.next || fallbackNext),
      actions: assign(({ context, event }) => {
        const resp = answer(event);
        const ctx = applySet(context, o.set, resp);
        const next = { ...context, ctx };
        say(next, o.prompt, resp);
        return { ctx };
      }),
    });
    const list = [];
    if (ok)
      list.push({
        guard: ({ event }) => event.status >= 200 && event.status < 300 && answer(event) !== undefined,
        ...take(ok),
      });
    if (fail) list.push(take(fail));
    return list;
  };

  for (const [name, st] of Object.entries(states)) {
    const node = { id: key(name) };
    const listening = st.type === 'prompt_and_listen' || st.type === 'listen';
    if (listening) {
      node.entry = ask(name, st);
      const routes = (st.routes || []).map((r) => ({
        guard: ({ event }) => routeMatches(r, event),
        target: '#' + key(r.next),
        actions: assign(({ context }) => ({ ctx: applySet(context, Object.entries(r.set || {}).map(([k, v]) => [k, compileValue(v)])) })),
      }));
      const input = [...routes];
      if (st.collect) {
        const target = st.action ? '#' + key(name) + '__action' : '#' + key(st.next);
        input.push({
          guard: ({ event }) => collect(st.collect.mode, event.text, event.type === 'DTMF', now) !== null,
          target,
          actions: assign(({ context, event }) => ({
            ctx: { ...context.ctx, ...collect(st.collect.mode, event.text, event.type === 'DTMF', now) },
          })),
        });
      }
      if (st.fallback) {
        const set = Object.entries(st.fallback.set || {}).map(([k, v]) => [k, compileValue(v)]);
        input.push({ target: '#' + key(st.fallback.next), actions: assign(({ context }) => ({ ctx: applySet(context, set) })) });
      }
      node.on = { DTMF: input, SPEECH: input };
      if (st.action) {
        node.initial = 'listen';
        node.states = {
          listen: {},
          action: { id: key(name) + '__action', entry: http(name, st.action), on: { ACTION_RESULT: results(st, st.next) } },
        };
        delete node.entry;
        node.states.listen.entry = ask(name, st);
      }
    } else if (st.type === 'action_then_prompt') {
      node.entry = http(name, st.action);
      node.on = { ACTION_RESULT: results(st, st.next) };
    } else if (st.type === 'prompt_end') {
      node.type = 'final';
      node.entry = ({ context }) => {
        say(context, message(st));
        context.out.push({ type: 'say', text: context.said.join(' ') });
        context.out.push({ type: 'hangup', reason: 'goodbye' });
      };
    } else if (st.type === 'handoff') {
      node.entry = ({ context }) => context.out.push({ type: 'handoff', queue: st.queue_id });
    }
    config.states[key(name)] = node;
  }
  config.context = ({ input }) => ({
    ctx: { call_id: input.callId, session_id: input.sessionId },
    sessionId: input.sessionId,
    said: [],
    lastAsk: null,
    nextId: 0,
    out: input.out,
  });
  return createMachine(config);
}

module.exports = { generate, key };
