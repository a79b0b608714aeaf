'use strict';
// The seed machine (examples/synergia_rdv) through login with canned backend
// answers, and snapshot/restore after every event.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { ivrsm, MENU, SEED, types, only } = require('./support');

const OTP = '482913';
const machine = ivrsm.Machine.load(SEED);

/* From the entry menu to the channel question; the commands of each step. */
function login(s) {
  const seen = { start: s.commands() };
  s.feed({ type: 'dtmf', text: '1', eventId: 'e1' });
  seen.entry = s.commands();
  s.feed({ type: 'dtmf', text: '0612345678#', eventId: 'e2' });
  seen.phone = s.commands();
  s.feed({ type: 'result', commandId: only(seen.phone, 'http'), status: 200, body: '{"challenge_id":"c"}', eventId: 'e3' });
  seen.requestOtp = s.commands();
  s.feed({ type: 'dtmf', text: `${OTP}#`, eventId: 'e4' });
  seen.otp = s.commands();
  s.feed({
    type: 'result', commandId: only(seen.otp, 'http'), status: 200,
    body: '{"session_token":"t","partner_id":42}', eventId: 'e5',
  });
  seen.verifyOtp = s.commands();
  s.feed({ type: 'dtmf', text: '1', eventId: 'e6' });
  seen.consent = s.commands();
  return seen;
}

describe('seed machine', () => {
  it('logs in with canned results', () => {
    const s = machine.session({ callId: 'seed-1', ctx: { caller: '+33612345678' } });
    s.start();
    const seen = login(s);

    const entry = only(seen.start, 'ask');
    assert.equal(entry.state, 'ivr.entry');
    assert.ok(entry.text.startsWith('Bonjour et bienvenue.'));
    assert.ok(entry.hints.includes('rendez-vous'));

    const phone = only(seen.entry, 'ask');
    assert.equal(phone.state, 'ivr.auth.phone_capture');
    assert.equal(phone.collect, 'phone');
    assert.equal(phone.terminators, '#');

    const request = only(seen.phone, 'http');
    assert.deepEqual([request.method, request.path, request.endpoint], ['PUT', '/auth/request-otp', 'request_otp']);
    assert.deepEqual(request.body, {
      phone_e164: '+33612345678',
      channel: 'sms',
      purpose: 'portal_login',
      role: 'client',
      call_id: 'seed-1',
      session_id: 's-seed-1',
    });
    assert.equal(request.idempotency_key, `s-seed-1-${request.id}`);

    const code = only(seen.requestOtp, 'ask');
    assert.equal(code.state, 'ivr.auth.verify_otp');
    assert.equal(code.collect, 'otp');
    assert.equal(code.max_digits, 6);
    assert.match(code.text, /Un code à six chiffres/);

    const verify = only(seen.otp, 'http');
    assert.equal(verify.path, '/auth/verify-otp');
    assert.equal(verify.body.otp, OTP);
    assert.equal(verify.body.challenge_id, 'c');

    assert.equal(only(seen.verifyOtp, 'ask').state, 'ivr.auth.consent');
    assert.equal(only(seen.consent, 'ask').state, 'ivr.auth.preferred_channel');

    const ctx = s.ctx;
    assert.equal(ctx.phone_e164, '+33612345678');
    assert.equal(ctx.otp_challenge_id, 'c');
    assert.equal(ctx.portal_session_token, 't');
    assert.equal(ctx.partner_id, 42);
    assert.equal(ctx.consent_ok, true);

    s.feed({ type: 'dtmf', text: '2' });
    const me = only(s.commands(), 'http');
    assert.deepEqual([me.method, me.path], ['GET', '/portal/me']);
    assert.deepEqual(me.headers, { Authorization: 'Bearer t' });
    assert.equal(s.ctx.preferred_channel, 'sms');
    s.feed({ type: 'result', commandId: me, status: 200, body: '{}' });
    const upcoming = only(s.commands(), 'http');
    assert.equal(upcoming.query, 'scope=upcoming');
    s.feed({ type: 'result', commandId: upcoming, status: 200, body: { count: 0, appointments: [], summary_voice: '' } });
    const router = only(s.commands(), 'ask');
    assert.equal(router.state, 'ivr.appointments.list.router');
    assert.match(router.text, /Vous n'avez aucun rendez-vous à venir\./);
    s.feed({ type: 'speech', text: 'je veux parler à un conseiller' });
    const handoff = only(s.commands(), 'handoff');
    assert.equal(handoff.queue, 'care_queue_1');
    assert.equal(handoff.context.partner_id, 42);
    assert.equal(handoff.context.ctx.portal_session_token, '***');
  });

  it('keeps the OTP and the token out of the trace', () => {
    const records = [];
    const s = machine.session({ callId: 'seed-2', trace: (r) => records.push(r) });
    s.start();
    const seen = login(s);
    const text = records.map((r) => JSON.stringify(r)).join('\n');
    assert.ok(!text.includes(OTP));
    assert.ok(!text.includes('"t"'));
    assert.equal(records.find((r) => r.event_id === 'e4').text, '***');
    const verifyId = only(seen.otp, 'http').id;
    assert.equal(records.find((r) => r.kind === 'command' && r.id === verifyId).body.otp, '***');
    const result = records.find((r) => r.event_id === 'e5');
    assert.equal(result.body.session_token, '***');
    assert.equal(result.body.partner_id, 42);
  });
});

describe('what reads the next input', () => {
  it('tells a secret input and its collect, in the retry state too', () => {
    const s = machine.session({ callId: 'seed-3' });
    assert.equal(s.inputIsSecret, false); // not started
    assert.equal(s.inputCollect, null);
    s.start();
    s.commands();
    assert.deepEqual([s.state, s.inputIsSecret, s.inputCollect], ['ivr.entry', false, null]);
    s.feed({ type: 'dtmf', text: '1' });
    s.commands();
    assert.deepEqual([s.inputIsSecret, s.inputCollect], [false, 'phone']);
    s.feed({ type: 'dtmf', text: '0612345678#' });
    s.feed({ type: 'result', commandId: only(s.commands(), 'http'), status: 200, body: '{"challenge_id":"c"}' });
    s.commands();
    assert.deepEqual([s.state, s.inputIsSecret, s.inputCollect], ['ivr.auth.verify_otp', true, 'otp']);
    s.feed({ type: 'dtmf', text: '000000#' });
    s.feed({ type: 'result', commandId: only(s.commands(), 'http'), status: 401, body: '{"error":"invalid_code"}' });
    const retry = only(s.commands(), 'ask');
    assert.equal(retry.state, 'ivr.auth.verify_otp.retry');
    assert.equal(retry.collect, undefined); // the ask does not show who reads the code
    assert.deepEqual([s.inputIsSecret, s.inputCollect], [true, 'otp']);
  });
});

describe('phone numbers in E.164', () => {
  it('reads a caller id by the machine\'s plan', () => {
    assert.equal(machine.phoneE164('0612345678'), '+33612345678');
    assert.equal(machine.phoneE164('0033612345678'), '+33612345678');
    assert.equal(machine.phoneE164('+41221234567'), '+41221234567');
    assert.equal(machine.phoneE164('anonymous'), null);
    assert.equal(machine.phoneE164('+3361234'), null);
    assert.throws(() => machine.phoneE164(42), TypeError);
  });

  it('reads one by a region\'s plan', () => {
    assert.equal(ivrsm.phoneE164('2125551212', 'en-US'), '+12125551212');
    assert.equal(ivrsm.phoneE164('0612345678', 'en-US'), null);
    assert.throws(() => ivrsm.phoneE164('0612345678', 'xx-YY'), { code: 'ENOTFOUND' });
    assert.throws(() => ivrsm.phoneE164('0612345678'), TypeError);
  });
});

describe('snapshot and restore', () => {
  const result = (body, eventId) => (s, pending) =>
    s.feed({ type: 'result', commandId: pending.id, status: 200, body, eventId });
  const steps = [
    (s) => s.feed({ type: 'dtmf', text: '1', eventId: 'e1' }),
    (s) => s.feed({ type: 'noinput', eventId: 'e2' }),
    (s) => s.feed({ type: 'dtmf', text: '0612345678#', eventId: 'e3' }),
    result('{"challenge_id":"c"}', 'e4'),
    (s) => s.feed({ type: 'speech', text: 'quatre huit deux neuf un trois', eventId: 'e5' }),
    result('{"session_token":"t","partner_id":42}', 'e6'),
    (s) => s.feed({ type: 'speech', text: 'oui', eventId: 'e7' }),
    (s) => s.feed({ type: 'dtmf', text: '3', eventId: 'e8' }),
  ];

  it('gives the same next commands after every event', () => {
    const live = machine.session({ callId: 'snap-1' });
    live.start();
    assert.deepEqual(types(live.commands()), ['ask']);
    let pending = null;
    for (const step of steps) {
      const snapshot = live.snapshot();
      assert.equal(JSON.parse(snapshot).machine, 'synergia_rdv_mvp_ivr');
      const restored = ivrsm.Session.restore(machine, snapshot);
      assert.equal(restored.state, live.state);
      assert.deepEqual(restored.ctx, live.ctx);
      step(live, pending);
      step(restored, pending);
      const expected = live.commands();
      assert.deepEqual(restored.commands(), expected);
      assert.deepEqual(restored.ctx, live.ctx);
      assert.equal(restored.state, live.state);
      // Event ids are saved too: the same step again is a duplicate.
      assert.throws(() => step(restored, pending), { code: 'EDUPLICATE' });
      restored.close();
      pending = expected.filter((c) => c.type === 'http').pop() || pending;
    }
    assert.equal(live.state, 'ivr.auth.persist_prefs');
    assert.equal(live.ctx.preferred_channel, 'email');
  });

  it('saves queued commands', () => {
    const s = machine.session({ callId: 'snap-2' });
    s.start();
    const r = ivrsm.Session.restore(machine, s.snapshot());
    assert.deepEqual(r.commands(), s.commands());
  });

  it('restores on a newly loaded copy of the machine, with a trace', () => {
    const s = machine.session({ callId: 'snap-3' });
    s.start();
    s.commands();
    s.feed({ type: 'dtmf', text: '1' });
    s.feed({ type: 'dtmf', text: '0612345678#' });
    const http = only(s.commands(), 'http');
    const reloaded = ivrsm.Machine.load(SEED);
    const records = [];
    const r = ivrsm.Session.restore(reloaded, s.snapshot(), { trace: (rec) => records.push(rec) });
    reloaded.close();
    r.feed({ type: 'result', commandId: http, status: 200, body: '{"challenge_id":"c"}' });
    assert.equal(r.state, 'ivr.auth.verify_otp');
    assert.equal(r.ctx.otp_challenge_id, 'c');
    assert.ok(records.length > 0);
    assert.ok(records.every((rec) => rec.session === 's-snap-3'));
  });

  it('refuses the snapshot of another machine', () => {
    const s = machine.session();
    s.start();
    assert.throws(() => ivrsm.Session.restore(ivrsm.Machine.load(MENU), s.snapshot()), {
      code: 'ESNAPSHOT',
      errno: ivrsm.codes.ESNAPSHOT,
      message: 'snapshot: taken on another machine or version',
    });
  });

  it('refuses malformed snapshots', () => {
    for (const bad of ['', '{', '[]', '{"machine": "synergia_rdv_mvp_ivr"}']) {
      assert.throws(() => ivrsm.Session.restore(machine, bad), { code: 'ESNAPSHOT' }, bad);
    }
    assert.throws(() => ivrsm.Session.restore(machine, 42), TypeError);
  });
});
