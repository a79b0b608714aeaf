'use strict';
// A small menu machine end to end, every feed error, callbacks and their failures.

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const { ivrsm, MENU, AUDIO, DATES, LANGUAGES, NOW_MS, MENU_CTX, types, only } = require('./support');

const MENU_PROMPT = 'Pour nos horaires, dites horaires ou tapez 1. Pour un conseiller, tapez 0.';

describe('parts', () => {
  it('carries recordings and words in order', () => {
    const s = ivrsm.Machine.load(AUDIO).session({ ctx: { name: 'Ana' } });
    s.start();
    const [ask] = s.commands();
    assert.deepEqual(ask.parts, [{ play: 'ivr/welcome.wav' }, { say: 'Pour nos horaires, tapez 1.' }]);
    assert.equal(ask.text, 'Pour nos horaires, tapez 1.');
    s.feed({ type: 'dtmf', text: '1' });
    const [say, hangup] = s.commands();
    assert.deepEqual([say.type, say.parts, hangup.type], ['say', [{ say: 'Au revoir Ana.' }], 'hangup']);
    assert.equal(hangup.parts, undefined);
  });

  it('lists the inputs the host gives', () => {
    assert.deepEqual(ivrsm.Machine.load(AUDIO).inputs, [{
      name: 'name', type: 'string', default: '', required: false, description: "the caller's first name",
    }]);
  });
});

describe('menu', () => {
  let machine;
  before(() => {
    machine = ivrsm.Machine.load(MENU);
  });
  const started = (opts = {}) => {
    const s = machine.session({ callId: 'c-1', ctx: MENU_CTX, ...opts });
    s.start();
    return s;
  };

  it('refuses events before start, and a second start', () => {
    const s = machine.session();
    assert.equal(s.state, null);
    assert.equal(s.ended, false);
    assert.deepEqual(s.commands(), []);
    assert.throws(() => s.feed({ type: 'dtmf', text: '1' }), { code: 'ESTATE', errno: ivrsm.codes.ESTATE });
    s.start();
    assert.throws(() => s.start(), { code: 'ESTATE' });
  });

  it('asks with what to listen for', () => {
    const s = started();
    assert.deepEqual(s.commands(), [{
      type: 'ask',
      id: 1,
      state: 'menu',
      text: MENU_PROMPT,
      parts: [{ say: MENU_PROMPT }],
      language: 'fr-FR',
      // The library's encoding (ivrsm_command_to_json): what to listen for beside the text.
      dtmf: true,
      speech: true,
      min_digits: 1,
      max_digits: 1,
      terminators: '',
      timeout_ms: 5000,
      digit_timeout_ms: 3000,
      barge_in: true,
      hints: ['horaires', "heures d'ouverture", 'conseiller'],
    }]);
    assert.equal(s.state, 'menu');
    assert.deepEqual(s.ctx, { ...MENU_CTX, call_id: 'c-1', session_id: 's-c-1', language: 'fr-FR' });
  });

  it('runs DTMF, no-input, http, speech and handoff', () => {
    const s = started();
    s.commands();
    s.feed({ type: 'noinput' });
    const [again] = s.commands();
    assert.deepEqual([again.type, again.id, again.text], ['ask', 2, MENU_PROMPT]);

    s.feed({ type: 'dtmf', text: '1' });
    const [http] = s.commands();
    assert.equal(s.state, 'hours');
    assert.deepEqual(http, {
      type: 'http',
      id: 3,
      state: 'hours',
      endpoint: 'get_hours',
      method: 'GET',
      path: '/sites/lyon/hours',
      query: 'lang=fr',
      headers: { Authorization: 'Bearer tok-abc' },
      body: { pin_code: '9876', caller: 'c-1' },
      idempotency_key: 's-c-1-3',
      timeout_ms: 2500,
    });

    s.feed({ type: 'result', commandId: http.id, status: 200, body: '{"voice_hours": "de 9 heures à 18 heures"}' });
    const [ask] = s.commands();
    assert.equal(ask.state, 'more');
    assert.equal(ask.text, 'Nous sommes ouverts de 9 heures à 18 heures. ' +
      'Autre chose ? Pour un conseiller, dites conseiller ou tapez 0.');
    assert.equal(s.ctx.opening, 'de 9 heures à 18 heures');

    s.feed({ type: 'speech', text: "je voudrais un conseiller s'il vous plaît", confidence: 0.9 });
    const [handoff] = s.commands();
    assert.equal(handoff.type, 'handoff');
    assert.equal(handoff.queue, 'front_desk');
    assert.equal(handoff.text, 'Je vous passe un conseiller.');
    assert.equal(handoff.context.call_id, 'c-1');
    assert.deepEqual(handoff.context.path, ['menu', 'hours', 'more', 'agent']);
    assert.equal(handoff.context.ctx.pin_code, '***');
    assert.equal(s.ended, false);

    s.feed({ type: 'handoff', commandId: handoff, ok: true });
    assert.deepEqual(s.commands(), []);
    assert.equal(s.ended, true);
    assert.throws(() => s.feed({ type: 'dtmf', text: '1' }), { code: 'EENDED' });
  });

  it('takes the fallback at once for an unmatched input', () => {
    const s = started();
    s.commands();
    s.feed({ type: 'speech', text: 'quel temps fait-il' });
    const [say, hangup] = s.commands();
    assert.deepEqual([say.type, say.text], ['say', 'Merci. Au revoir.']);
    assert.deepEqual([hangup.type, hangup.reason], ['hangup', 'goodbye']);
    assert.equal(s.ended, true);
    assert.equal(s.state, 'goodbye');
    assert.equal(s.ctx.fell_back, true);
  });

  it('treats low confidence as no match', () => {
    const s = started();
    s.commands();
    s.feed({ type: 'speech', text: 'horaires', confidence: 0.1 });
    assert.deepEqual(types(s.commands()), ['say', 'hangup']);
    assert.throws(() => s.feed({ type: 'speech', text: 'horaires', confidence: 1.5 }), RangeError);
  });

  it('takes intents from an external recogniser', () => {
    const s = started();
    s.commands();
    s.feed({ type: 'intent', text: 'hours' });
    assert.equal(only(s.commands(), 'http').path, '/sites/lyon/hours');
  });

  it('ends the call after two silences', () => {
    const s = started();
    s.commands();
    s.feed({ type: 'noinput' });
    s.feed({ type: 'noinput' });
    assert.deepEqual(types(s.commands()), ['ask', 'say', 'hangup']);
    assert.equal(s.ended, true);
  });

  it('follows on_fail of an action and of a handoff', () => {
    const s = started();
    s.commands();
    s.feed({ type: 'dtmf', text: '1' });
    const http = only(s.commands(), 'http');
    s.feed({ type: 'result', commandId: http, status: 503, body: { error: 'down' } });
    const handoff = only(s.commands(), 'handoff');
    assert.equal(handoff.text, "Je n'ai pas pu lire nos horaires. Je vous passe un conseiller.");
    s.feed({ type: 'handoff', commandId: handoff.id, ok: false });
    const [say, hangup] = s.commands();
    assert.equal(say.text, 'Tous nos conseillers sont occupés. Merci. Au revoir.');
    assert.equal(hangup.reason, 'goodbye');
  });

  it('takes a transport error as a failure', () => {
    const s = started();
    s.commands();
    s.feed({ type: 'dtmf', text: '1' });
    const http = only(s.commands(), 'http');
    s.feed({ type: 'result', commandId: BigInt(http.id), status: 0, error: 'timeout' });
    assert.equal(only(s.commands(), 'handoff').state, 'agent');
  });

  it('takes limits for one call over the machine\'s', () => {
    const s = started({ limits: { maxConsecutiveFailures: 1 } });
    s.commands();
    s.feed({ type: 'noinput' });
    // One failure is the bound: the call escalates to the agent at once.
    assert.equal(only(s.commands(), 'handoff').state, 'agent');
    const strict = started({ limits: { minConfidence: 0.95 } });
    strict.commands();
    strict.feed({ type: 'speech', text: 'horaires', confidence: 0.9 });
    assert.deepEqual(types(strict.commands()), ['say', 'hangup']);
    const restored = ivrsm.Session.restore(machine, started().snapshot(), { limits: { maxConsecutiveFailures: 1 } });
    restored.commands();
    restored.feed({ type: 'nomatch' });
    assert.equal(only(restored.commands(), 'handoff').queue, 'front_desk');
  });

  it('refuses bad limits', () => {
    assert.throws(() => machine.session({ limits: { maxFun: 1 } }), /unknown limits maxFun/);
    assert.throws(() => machine.session({ limits: { maxStateVisits: -1 } }), RangeError);
    assert.throws(() => machine.session({ limits: { minConfidence: 3 } }), /minConfidence must be within 0..1/);
    assert.throws(() => machine.session({ limits: 5 }), TypeError);
  });

  it('ends when the caller hangs up', () => {
    const s = started();
    s.commands();
    s.feed({ type: 'hangup', eventId: 'h1' });
    assert.equal(s.ended, true);
    assert.deepEqual(s.commands(), []);
    assert.throws(() => s.feed({ type: 'hangup' }), { code: 'EENDED' });
  });
});

describe('feed errors', () => {
  const fresh = () => {
    const s = ivrsm.Machine.load(MENU).session({ callId: 'c-2', ctx: MENU_CTX });
    s.start();
    s.commands();
    return s;
  };

  it('ignores a duplicate event id', () => {
    const s = fresh();
    s.feed({ type: 'noinput', eventId: 'ev-1' });
    assert.deepEqual(types(s.commands()), ['ask']);
    assert.throws(() => s.feed({ type: 'noinput', eventId: 'ev-1' }), {
      code: 'EDUPLICATE',
      errno: ivrsm.codes.EDUPLICATE,
      message: "noinput event 'ev-1': duplicate event id, event ignored",
    });
    // Nothing happened: a second silence would have ended the call.
    assert.deepEqual(s.commands(), []);
    assert.equal(s.ended, false);
    assert.throws(() => s.feed({ type: 'dtmf', text: '1', eventId: 'ev-1' }), { code: 'EDUPLICATE' });
    s.feed({ type: 'dtmf', text: '1', eventId: 'ev-2' });
    assert.equal(s.state, 'hours');
  });

  it('refuses stale results and input while http is pending', () => {
    const s = fresh();
    s.feed({ type: 'dtmf', text: '1' });
    const http = only(s.commands(), 'http');
    assert.throws(() => s.feed({ type: 'result', commandId: http.id + 100, status: 200, body: '{}' }),
      { code: 'ESTALE', errno: ivrsm.codes.ESTALE });
    assert.throws(() => s.feed({ type: 'handoff', commandId: http.id, ok: true }), { code: 'ESTALE' });
    assert.throws(() => s.feed({ type: 'dtmf', text: '0' }), { code: 'EUNEXPECTED' });
    assert.equal(s.state, 'hours');
    s.feed({ type: 'result', commandId: http, status: 200, body: { voice_hours: 'le matin' } });
    assert.throws(() => s.feed({ type: 'result', commandId: http, status: 200, body: '{}' }), { code: 'ESTALE' });
    assert.equal(s.state, 'more');
  });

  it('refuses too long an input', () => {
    const s = fresh();
    assert.throws(() => s.feed({ type: 'speech', text: 'a'.repeat(5000) }), { code: 'ELIMIT' });
    assert.equal(s.state, 'menu');
  });

  it('refuses malformed events', () => {
    const s = fresh();
    assert.throws(() => s.feed(), TypeError);
    assert.throws(() => s.feed({ type: 'shout' }), /unknown event type "shout"/);
    assert.throws(() => s.feed({ type: 'dtmf' }), /a dtmf event needs a text/);
    assert.throws(() => s.feed({ type: 'dtmf', text: '1\u00002' }), /text contains a NUL character/);
    assert.throws(() => s.feed({ type: 'result', commandId: -1, status: 200 }), /commandId/);
    assert.throws(() => s.feed({ type: 'result', commandId: '3', status: 200 }), /commandId/);
    assert.throws(() => s.feed({ type: 'result', commandId: 3 }), /integer status/);
    assert.throws(() => s.feed({ type: 'dtmf', text: '1', eventId: 7 }), /eventId must be a string/);
    assert.equal(s.state, 'menu');
  });

  it('refuses a ctx that is not a JSON object', () => {
    const m = ivrsm.Machine.load(MENU);
    assert.throws(() => m.session({ ctx: '[1, 2]' }), (e) => {
      assert.equal(e.code, 'EINVAL');
      assert.match(e.message, /ctx/);
      return true;
    });
  });

  it('refuses foreign handles', () => {
    const s = fresh();
    const m = ivrsm.Machine.load(MENU);
    assert.throws(() => ivrsm.Session.restore({}, s.snapshot()), TypeError);
    const forged = Object.create(ivrsm.Session.prototype);
    forged._handle = m._handle;
    assert.throws(() => forged.start(), /not a session handle/);
    forged._handle = {};
    assert.throws(() => forged.state, /not a session handle/);
  });
});

describe('callbacks', () => {
  it('resolves "demain" with the clock', () => {
    let asked = 0;
    const s = ivrsm.Machine.load(DATES).session({ clock: () => { asked += 1; return NOW_MS; } });
    s.start();
    assert.equal(only(s.commands(), 'ask').collect, 'date_nl');
    s.feed({ type: 'speech', text: 'demain' });
    assert.ok(asked > 0);
    assert.equal(s.ctx.pref_date_from, '2026-11-26');
    assert.equal(s.ctx.pref_date_to, '2026-11-26');
    const [say, hangup] = s.commands();
    assert.equal(say.text, "C'est noté, à partir du 2026-11-26.");
    assert.equal(hangup.type, 'hangup');
  });

  it('takes a Date or a BigInt from the clock', () => {
    for (const now of [new Date('2026-12-31T23:30:00+01:00'), BigInt(Date.parse('2026-12-31T23:30:00+01:00'))]) {
      const s = ivrsm.Machine.load(DATES).session({ clock: () => now });
      s.start();
      s.feed({ type: 'speech', text: 'demain' });
      assert.equal(s.ctx.pref_date_from, '2027-01-01');
    }
  });

  it('resolves dates against 1970 without a clock', () => {
    const s = ivrsm.Machine.load(DATES).session();
    s.start();
    s.feed({ type: 'speech', text: 'demain' });
    assert.equal(s.ctx.pref_date_from, '1970-01-02');
  });

  it('passes a clock exception on, the session as it was', () => {
    // The start or the event is not done (the library refuses the time the addon gives it
    // then): fed again once the clock works, the same event is taken as if first given.
    let fail = true;
    const s = ivrsm.Machine.load(DATES).session({
      clock: () => { if (fail) throw new RangeError('no time today'); return NOW_MS; },
    });
    assert.throws(() => s.start(), { name: 'RangeError', message: 'no time today' });
    assert.equal(s.state, null);
    fail = false;
    s.start();
    s.commands();
    const before = s.snapshot();
    fail = true;
    assert.throws(() => s.feed({ type: 'speech', text: 'demain', eventId: 'e-1' }),
      { name: 'RangeError', message: 'no time today' });
    assert.equal(s.snapshot(), before);
    fail = false;
    s.feed({ type: 'speech', text: 'demain', eventId: 'e-1' });
    assert.equal(s.ctx.pref_date_from, '2026-11-26');
  });

  it('refuses a clock that returns no number', () => {
    const s = ivrsm.Machine.load(DATES).session({ clock: () => 'midi' });
    assert.throws(() => s.start(),
      { code: 'ECALLBACK', message: 'ivrsm: the clock must return milliseconds since the epoch' });
    assert.equal(s.state, null);
  });

  it('refuses a clock outside the years 1 to 9999, the session as it was', () => {
    const first = -62135596800000;
    const last = 253402300799999;
    let now;
    const s = ivrsm.Machine.load(DATES).session({ clock: () => now });
    for (const bad of [first - 1, last + 1, -(2 ** 62), 2 ** 62, BigInt(last) + 1n, new Date(8.64e15)]) {
      now = bad;
      assert.throws(() => s.start(),
        { code: 'ECALLBACK', message: 'ivrsm: the clock returned a time outside the years 1 to 9999' },
        String(bad));
      assert.equal(s.state, null);
    }
    for (const bad of [new Date(NaN), NaN, Infinity, null, {}]) {
      now = bad;
      assert.throws(() => s.start(), { code: 'ECALLBACK', message: /must return milliseconds/ }, String(bad));
    }
    now = first;
    s.start();
    s.commands();
    now = last + 1;
    const before = s.snapshot();
    assert.throws(() => s.feed({ type: 'speech', text: 'demain' }), { code: 'ECALLBACK' });
    assert.equal(s.snapshot(), before);
    now = last;
    s.feed({ type: 'speech', text: 'demain' });
    assert.equal(s.ended, false);
  });

  it('gives trace records as objects, secrets redacted', () => {
    const records = [];
    const s = ivrsm.Machine.load(MENU).session({ callId: 'c-3', ctx: MENU_CTX, trace: (r) => records.push(r) });
    s.start();
    s.feed({ type: 'dtmf', text: '1', eventId: 'k1' });
    const http = only(s.commands(), 'http');
    s.feed({ type: 'result', commandId: http, status: 200, body: { voice_hours: 'toujours' } });
    assert.deepEqual(records.slice(0, 3).map((r) => r.kind), ['start', 'transition', 'command']);
    assert.deepEqual(records.map((r) => r.seq), records.map((r, i) => i + 1));
    assert.ok(records.every((r) => r.session === 's-c-3'));
    const event = records.find((r) => r.kind === 'event');
    assert.deepEqual([event.type, event.event_id, event.text], ['dtmf', 'k1', '1']);
    const transition = records.filter((r) => r.kind === 'transition')[1];
    assert.deepEqual([transition.from, transition.to, transition.reason], ['menu', 'hours', 'dtmf:hours']);
    const traced = records.find((r) => r.kind === 'command' && r.type === 'http');
    assert.deepEqual(traced.headers, { Authorization: '***' });
    assert.deepEqual(traced.body, { pin_code: '***', caller: 'c-3' });
    assert.equal(http.body.pin_code, '9876');
    assert.ok(!JSON.stringify(records).includes('9876'));
  });

  it('passes a trace exception on, skipping later records', () => {
    let calls = 0;
    const s = ivrsm.Machine.load(MENU).session({ trace: () => { calls += 1; throw new Error('sink full'); } });
    assert.throws(() => s.start(), /sink full/);
    assert.equal(calls, 1);
    assert.equal(s.state, 'menu');
    assert.deepEqual(types(s.commands()), ['ask']);
  });

  it('refuses re-entry from a callback', () => {
    const seen = [];
    let s = null;
    s = ivrsm.Machine.load(MENU).session({
      trace: () => {
        try {
          s.commands();
        } catch (e) {
          seen.push(e);
        }
        try {
          s.close();
        } catch (e) {
          seen.push(e);
        }
      },
    });
    s.start();
    assert.ok(seen.length >= 2);
    assert.equal(seen[0].code, 'EBUSY');
    assert.match(seen[0].message, /cannot be used from its own clock or trace callback/);
    assert.match(seen[1].message, /cannot be closed from its own callback/);
    assert.deepEqual(types(s.commands()), ['ask']);
  });

  it('wants functions', () => {
    const m = ivrsm.Machine.load(MENU);
    assert.throws(() => m.session({ clock: NOW_MS }), /clock must be a function/);
    assert.throws(() => m.session({ trace: 'stderr' }), /trace must be a function/);
  });
});

// Each built-in locale: the key that picks it, "tomorrow" in it, what is said back.
const LANGUAGE_CALLS = [
  ['1', 'fr-FR', 'Quel jour ?', 'demain', "C'est noté : jeudi 26 novembre, 12 euros et 50 centimes."],
  ['2', 'en-US', 'Which day?', 'tomorrow', 'Noted: Thursday, November 26th, 12 dollars and 50 cents.'],
  ['3', 'en-GB', 'Which day?', 'tomorrow', 'Noted: Thursday the 26th of November, 12 pounds and 50 pence.'],
  ['4', 'es-ES', '¿Qué día?', 'mañana', 'Anotado: jueves 26 de noviembre, 12 euros con 50 céntimos.'],
  ['5', 'de-DE', 'Welcher Tag?', 'morgen', 'Notiert: Donnerstag, den 26. November, 12 Euro und 50 Cent.'],
  ['6', 'fr-BE', 'Quel jour ?', 'demain', "C'est noté : jeudi 26 novembre, 12 euros et 50 centimes."],
  ['7', 'fr-CH', 'Quel jour ?', 'demain', "C'est noté : jeudi 26 novembre, 12 francs et 50 centimes."],
];

describe('languages', () => {
  const machine = ivrsm.Machine.load(LANGUAGES);
  for (const [key, language, question, tomorrow, said] of LANGUAGE_CALLS) {
    it(`speaks, reads and says values in ${language}`, () => {
      const s = machine.session({ clock: () => NOW_MS });
      s.start();
      assert.equal(only(s.commands(), 'ask').language, 'fr-FR');
      s.feed({ type: 'dtmf', text: key });
      const ask = only(s.commands(), 'ask');
      assert.deepEqual([ask.language, ask.text, ask.collect], [language, question, 'date_nl']);
      s.feed({ type: 'speech', text: tomorrow });
      assert.equal(s.ctx.language, language);
      assert.equal(s.ctx.pref_date_from, '2026-11-26');
      const [say, hangup] = s.commands();
      assert.deepEqual([say.language, say.text, hangup.type], [language, said, 'hangup']);
    });
  }
});
