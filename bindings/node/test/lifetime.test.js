'use strict';
// Who frees what, and when: close(), and the garbage collector's finalizers.
// Run with --expose-gc so the collector can be asked to run.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { ivrsm, MENU, SEED, NOW_MS, MENU_CTX, types } = require('./support');

const collect = async () => {
  if (!global.gc) return;
  for (let i = 0; i < 3; i++) {
    global.gc();
    // Finalizers run after the collection, from the event loop.
    await new Promise((resolve) => setImmediate(resolve));
  }
};

describe('lifetime', () => {
  it('creates and drops a thousand sessions', async () => {
    const m = ivrsm.Machine.load(SEED);
    let starts = 0;
    for (let i = 0; i < 1000; i++) {
      const s = m.session({
        callId: `call-${i}`,
        ctx: { n: i },
        clock: () => NOW_MS,
        trace: (r) => { if (r.kind === 'start') starts += 1; },
      });
      s.start();
      if (i % 2) s.feed({ type: 'dtmf', text: '1' });
      if (i % 3 === 0) s.close();
    }
    assert.equal(starts, 1000);
    await collect();
    m.close();
    await collect();
  });

  it('keeps the C machine while sessions use it', async () => {
    const sessions = [];
    for (let i = 0; i < 10; i++) {
      const m = ivrsm.Machine.load(MENU);
      for (let j = 0; j < 100; j++) sessions.push(m.session({ ctx: MENU_CTX, trace: () => {} }));
      if (i % 2) m.close();
    }
    await collect();
    sessions.forEach((s, i) => {
      if (i % 3 === 1) s.close();
      else if (i % 3 === 0) s.start();
    });
    await collect();
    sessions.forEach((s, i) => {
      if (i % 3 === 0) assert.deepEqual(types(s.commands()), ['ask']);
    });
    sessions.length = 0;
    await collect();
  });

  it('lets a call go on after its machine is closed', () => {
    const m = ivrsm.Machine.load(MENU);
    const s = m.session({ ctx: MENU_CTX });
    m.close();
    s.start();
    s.feed({ type: 'dtmf', text: '1' });
    assert.equal(s.state, 'hours');
    s.close();
  });

  it('refuses calls on a closed session', () => {
    const s = ivrsm.Machine.load(MENU).session();
    s.start();
    s.close();
    s.close();
    assert.equal(s.closed, true);
    for (const call of [() => s.start(), () => s.commands(), () => s.snapshot(), () => s.state, () => s.ctx,
      () => s.feed({ type: 'noinput' })]) {
      assert.throws(call, { code: 'ECLOSED', message: 'ivrsm: the session is closed' });
    }
  });

  it('frees a session whose callbacks capture it', async () => {
    const registry = new FinalizationRegistry(() => { freed += 1; });
    let freed = 0;
    (() => {
      for (let i = 0; i < 50; i++) {
        const box = {};
        box.session = ivrsm.Machine.load(MENU).session({ trace: () => box.session && box.seen++ });
        box.seen = 0;
        box.session.start();
        registry.register(box.session, i);
      }
    })();
    await collect();
    if (global.gc) assert.ok(freed > 0, 'no session was collected');
  });

  it('frees restored sessions too', async () => {
    const m = ivrsm.Machine.load(MENU);
    const s = m.session();
    s.start();
    const snapshot = s.snapshot();
    for (let i = 0; i < 500; i++) {
      const r = ivrsm.Session.restore(m, snapshot, { trace: () => {} });
      r.feed({ type: 'noinput' });
    }
    await collect();
  });
});
