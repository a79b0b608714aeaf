'use strict';
// The addon when the library runs out of memory, at every allocation of a seed call.
//
// Runs only with tests/failing_malloc.c preloaded (meson test node-bindings-oom:
// LD_PRELOAD, IVRSM_FAIL_ALLOC_CALLERS, and IVRSM_FAILING_MALLOC_NODE naming the
// small addon that exposes its controls): it counts the allocations that
// libivrsm, jansson, libfyaml and this addon ask for (not Node's), and refuses
// the chosen one. Each step of the call (a new session and its start, each
// event fed, the commands pulled, a snapshot, a restore) is done again from the
// snapshot before it with each of its allocations refused in turn, and:
// - an error, if any, has code 'ENOMEM' and errno ivrsm.codes.ENOMEM;
// - after start() or a feed the session can only be closed (a snapshot throws
//   ENOMEM again), or, refused before the library saw the event (copying its
//   strings), it is as it was; after commands() the command is kept and the next
//   call gives it;
// - done again as a host does (restore the last snapshot, feed the same event),
//   the step gives the same commands and snapshot as without failures;
// - every block the library allocated is freed once everything is closed.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { ivrsm, MENU, NOW_MS, SEED } = require('./support');
const fs = require('node:fs');

const fm = process.env.IVRSM_FAILING_MALLOC_NODE ? require(process.env.IVRSM_FAILING_MALLOC_NODE) : null;
const skip = !fm || !fm.available ? 'needs tests/failing_malloc.c preloaded (node-bindings-oom)' : false;

const clock = () => NOW_MS;
const http = (cmds) => cmds.find((c) => c.type === 'http');
const APPOINTMENTS = {
  count: 2,
  summary_voice: 'deux rendez-vous',
  appointments: [
    { id: 'a1', date: '2025-03-12', time: '09:30', doctor: 'Dr Martin', site: 'Lyon', status: 'confirmed' },
    { id: 'a2', date: '2025-03-20', time: '14:00', doctor: 'Dr Durand', site: 'Lyon', status: 'confirmed' },
  ],
};
const STEPS = [
  ['start', (s) => s.start()],
  ['entry', (s) => s.feed({ type: 'dtmf', text: '1', eventId: 'e1' })],
  ['phone', (s) => s.feed({ type: 'dtmf', text: '0612345678#', eventId: 'e2' })],
  ['request_otp', (s, prev) => s.feed({ type: 'result', commandId: http(prev), status: 200, body: '{"challenge_id":"c"}', eventId: 'e3' })],
  ['otp', (s) => s.feed({ type: 'dtmf', text: '482913#', eventId: 'e4' })],
  ['verify_otp', (s, prev) => s.feed({ type: 'result', commandId: http(prev), status: 200, body: { session_token: 't', partner_id: 42 }, eventId: 'e5' })],
  ['consent', (s) => s.feed({ type: 'dtmf', text: '1', eventId: 'e6' })],
  ['channel', (s) => s.feed({ type: 'dtmf', text: '2', eventId: 'e7' })],
  ['me', (s, prev) => s.feed({ type: 'result', commandId: http(prev), status: 200, body: '{}', eventId: 'e8' })],
  ['list', (s, prev) => s.feed({ type: 'result', commandId: http(prev), status: 200, body: APPOINTMENTS, eventId: 'e9' })],
  ['choose', (s) => s.feed({ type: 'speech', text: 'le premier', confidence: 0.9, eventId: 'e10' })],
  ['timeout', (s, prev) => s.feed({ type: 'result', commandId: http(prev), status: 0, error: 'timeout', eventId: 'e11' })],
  ['hangup', (s) => s.feed({ type: 'hangup', eventId: 'e12' })],
];

function assertOom(e, where) {
  assert.ok(e instanceof Error, where);
  assert.equal(e.code, 'ENOMEM', `${where}: ${e && e.stack}`);
  assert.equal(e.errno, ivrsm.codes.ENOMEM, where);
  assert.ok(e.message.length > 0, where);
}

/* fn() with the n-th allocation refused: {value, error, refused}. */
function refusedIn(n, fn) {
  fm.arm(n);
  try {
    const value = fn();
    return { value, error: null, refused: fm.disarm() > 0 };
  } catch (error) {
    const refused = fm.disarm() > 0;
    assert.ok(refused, `an error with nothing refused: ${error && error.stack}`);
    return { value: null, error, refused };
  }
}

describe('out of memory', { skip }, () => {
  if (skip) return;
  fm.track();
  let machine = ivrsm.Machine.load(SEED);
  const open = (snapshot) => (snapshot === null
    ? machine.session({ callId: 'oom-1', sessionId: 's-oom-1', clock, trace: () => {} })
    : ivrsm.Session.restore(machine, snapshot, { clock, trace: () => {} }));

  after(async () => {
    machine.close();
    machine = null; /* its handle's record goes when the object is collected */
    // A closed handle's own record goes with its object: let the collector finalize them.
    for (let i = 0; i < 10 && fm.live() > 0; i++) {
      global.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(fm.live(), 0, 'blocks of the library never freed');
  });

  it('refuses every allocation of a seed call in turn', () => {
    const reference = [];
    let snapshot = null;
    let prev = [];
    for (const [name, feed] of STEPS) {
      const s = open(snapshot);
      feed(s, prev);
      const commands = s.commands();
      const after = s.snapshot();
      s.close();
      reference.push({ name, feed, before: snapshot, prev, commands, after });
      snapshot = after;
      prev = commands;
    }
    let tried = 0;
    for (const step of reference) {
      // The event fed.
      for (let n = 0; ; n++) {
        const s = open(step.before);
        const { error, refused } = refusedIn(n, () => step.feed(s, step.prev));
        if (!refused) {
          s.close();
          break;
        }
        tried++;
        const where = `step ${step.name}, allocation ${n} refused`;
        let got;
        let snap;
        if (error) {
          assertOom(error, where);
          // Refused in the library: the session can only be closed. Refused copying the
          // event's strings, before the library saw it: the session is as it was.
          let intact = null;
          try {
            intact = s.snapshot();
          } catch (e) {
            assert.equal(e.code, 'ENOMEM', where);
          }
          if (intact !== null && step.before !== null) {
            assert.deepEqual(JSON.parse(intact), JSON.parse(step.before), where);
          }
          s.close();
          assert.throws(() => s.feed({ type: 'dtmf', text: '1' }), { code: 'ECLOSED' }, where);
          const again = open(step.before);
          step.feed(again, step.prev);
          got = again.commands();
          snap = again.snapshot();
          again.close();
        } else {
          got = s.commands();
          snap = s.snapshot();
          s.close();
        }
        assert.deepEqual(got, step.commands, where);
        assert.deepEqual(JSON.parse(snap), JSON.parse(step.after), where);
      }
      // The commands pulled.
      for (let n = 0; ; n++) {
        const s = open(step.before);
        step.feed(s, step.prev);
        const { value, error, refused } = refusedIn(n, () => s.commands());
        if (!refused) {
          s.close();
          break;
        }
        tried++;
        const where = `commands of step ${step.name}, allocation ${n} refused`;
        if (error) assertOom(error, where);
        const got = (value || []).concat(s.commands());
        assert.deepEqual(got, step.commands, where);
        s.close();
      }
      // A snapshot and a restore.
      const s = open(step.before);
      step.feed(s, step.prev);
      s.commands();
      for (let n = 0; ; n++) {
        const { value, error, refused } = refusedIn(n, () => s.snapshot());
        if (!refused) break;
        tried++;
        if (error) assertOom(error, `snapshot, allocation ${n} refused`);
        else assert.deepEqual(JSON.parse(value), JSON.parse(step.after));
      }
      s.close();
      for (let n = 0; ; n++) {
        const { value, error, refused } = refusedIn(n, () => ivrsm.Session.restore(machine, step.after, { clock }));
        if (value) {
          assert.deepEqual(JSON.parse(value.snapshot()), JSON.parse(step.after));
          value.close();
        }
        if (!refused) break;
        tried++;
        if (error) assertOom(error, `restore, allocation ${n} refused`);
      }
    }
    assert.ok(tried > 100, `only ${tried} allocations refused`);
  });

  it('refuses every allocation of a load in turn', () => {
    const text = fs.readFileSync(MENU, 'utf8');
    const want = ivrsm.Machine.fromString(text, 'yaml', 'menu.yaml');
    const states = want.states;
    want.close();
    let n = 0;
    for (; ; n++) {
      const { value, error, refused } = refusedIn(n, () => ivrsm.Machine.fromString(text, 'yaml', 'menu.yaml'));
      if (value) {
        assert.deepEqual(value.states, states);
        value.close();
      }
      if (!refused) break;
      if (error) assertOom(error, `load, allocation ${n} refused`);
    }
    assert.ok(n > 20, `only ${n} allocations in a load`);
  });
});
