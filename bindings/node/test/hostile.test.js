'use strict';
// Strings a host may pass that UTF-8 cannot write: refused, not changed.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { ivrsm, MENU, MENU_CTX, DATES } = require('./support');

const LONE = { code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' };

describe('lone surrogates', () => {
  const machine = ivrsm.Machine.load(MENU);

  it('are refused in ids, which two strings would otherwise share', () => {
    // 'e\ud800' and 'e\udc00' both became 'e\ufffd': the second event a duplicate.
    const s = machine.session({ ctx: MENU_CTX });
    s.start();
    s.commands();
    assert.throws(() => s.feed({ type: 'dtmf', text: '9', eventId: 'e\ud800' }),
      { ...LONE, message: /eventId holds a lone surrogate \(U\+D800 at index 1\)/ });
    assert.throws(() => s.feed({ type: 'dtmf', text: '9', eventId: 'e\udc00' }), LONE);
    s.feed({ type: 'dtmf', text: '9', eventId: 'e\ud83d\ude00' }); // a pair is one character
    assert.throws(() => machine.session({ sessionId: '\udc00call' }),
      { ...LONE, message: /sessionId holds a lone surrogate \(U\+DC00 at index 0\)/ });
    assert.throws(() => machine.session({ callId: 'a\ud800b' }), LONE);
  });

  it('are refused in texts, documents, ctx, bodies and snapshots', () => {
    const s = machine.session({ ctx: MENU_CTX });
    s.start();
    s.commands();
    assert.throws(() => s.feed({ type: 'speech', text: 'horaires\ud800', confidence: 0.9 }), LONE);
    assert.throws(() => machine.session({ ctx: '{"site": "\ud800"}' }),
      { ...LONE, message: /ctx holds/ });
    assert.throws(() => ivrsm.Machine.fromString(
      'machine: "m\ud800"\nversion: "1"\nstates:\n  a: {type: prompt_end, prompt: hi}\n'),
    { ...LONE, message: /the document holds a lone surrogate \(U\+D800 at index 11\)/ });
    assert.throws(() => ivrsm.Session.restore(machine, s.snapshot().replace('"menu"', '"m\udfff"')),
      { ...LONE, message: /snapshot holds/ });
    s.feed({ type: 'dtmf', text: '1' });
    const http = s.commands().find((c) => c.type === 'http');
    assert.throws(() => s.feed({ type: 'result', commandId: http, status: 200, body: '{"voice_hours": "\udbff"}' }),
      { ...LONE, message: /body holds/ });
    assert.throws(() => ivrsm.phoneE164('0612\ud800', 'fr-FR'), LONE);
    // The session took none of them: the result is still the one awaited.
    s.feed({ type: 'result', commandId: http, status: 200, body: '{"voice_hours": "de 9h à 18h"}' });
    assert.equal(s.state, 'more');
  });
});

describe('Buffers that are not UTF-8', () => {
  // Buffer.toString() made each bad byte U+FFFD: a document that is not UTF-8 loaded as another
  // one, and a backend's body that is not UTF-8 became valid JSON that took on_success. The
  // bytes now reach the library as they are, as the Python binding hands it bytes.
  const doc = (version) => Buffer.concat([
    Buffer.from('machine: m\nversion: "'), version,
    Buffer.from('"\nstates:\n  a: {type: prompt_end, prompt: hi}\n')]);

  it('is a document refused where the bad byte is, loaded or checked', () => {
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      assert.throws(() => ivrsm.Machine.fromString(doc(Buffer.from(bad)), 'yaml', 'b.yaml'), (e) => {
        assert.equal(e.code, 'ESYNTAX');
        assert.deepEqual([e.file, e.line, e.column], ['b.yaml', 2, 11]);
        assert.match(e.reason, /invalid UTF-8/);
        return true;
      });
      const [d] = ivrsm.checkString(doc(Buffer.from(bad)), 'yaml', 'b.yaml');
      assert.equal(d.severity, 'error');
      assert.match(d.message, /invalid UTF-8/);
    }
    // The same bytes in a valid sequence load, and say what they said.
    const m = ivrsm.Machine.fromString(doc(Buffer.from('1 é', 'utf8')), 'yaml');
    assert.equal(m.version, '1 é');
  });

  it('is a body that is not JSON: the action fails, as for any such body', () => {
    const machine = ivrsm.Machine.load(MENU);
    const answered = (body) => {
      const s = machine.session({ ctx: MENU_CTX });
      s.start();
      s.commands();
      s.feed({ type: 'dtmf', text: '1' });
      const http = s.commands().find((c) => c.type === 'http');
      s.feed({ type: 'result', commandId: http, status: 200, body });
      return [s.state, s.commands().filter((c) => c.text).map((c) => c.text).join(' ')];
    };
    const ok = Buffer.from('{"voice_hours": "de 9h à 18h"}', 'utf8');
    const [state, said] = answered(ok);
    assert.equal(state, 'more');
    assert.match(said, /^Nous sommes ouverts de 9h à 18h\./);
    for (const bad of [Buffer.from('{"voice_hours": "de 9h \xe0 18h"}', 'latin1'),
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x22, 0x7d]),
      Buffer.from('{"voice_hours": "a\u0000b"}', 'utf8')]) {
      const [state, said] = answered(bad);
      assert.notEqual(state, 'more', `${bad.toString('hex')} was taken as JSON`);
      assert.match(said, /Je n'ai pas pu lire nos horaires/);
    }
  });
});

describe('snapshots from outside', () => {
  // A host reads a snapshot back from its store: as text or as the Buffer the store gives,
  // whole, cut short, damaged or of another machine. Restored exactly or refused with the
  // binding's error, never a raw TypeError nor a crash.
  const machine = ivrsm.Machine.load(MENU);
  const started = () => {
    const s = machine.session({ ctx: MENU_CTX });
    s.start();
    s.commands();
    s.feed({ type: 'dtmf', text: '1' });
    return s;
  };

  it('restores from a Buffer as from its text', () => {
    const snap = started().snapshot();
    const r = ivrsm.Session.restore(machine, Buffer.from(snap, 'utf8'));
    assert.equal(r.snapshot(), snap);
    assert.equal(r.state, 'hours');
  });

  it('refuses one cut short, damaged or of another machine', () => {
    const snap = started().snapshot();
    const bytes = Buffer.from(snap, 'utf8');
    assert.ok(snap.includes(MENU_CTX.api_token));
    // Refused with ESNAPSHOT, and a message (which a host logs) without four characters in a
    // row of the call's token or PIN.
    const refused = (err) => {
      assert.equal(err.code, 'ESNAPSHOT');
      for (const secret of [MENU_CTX.api_token, MENU_CTX.pin_code]) {
        for (let i = 0; i + 4 <= secret.length; i++)
          assert.ok(!err.message.includes(secret.slice(i, i + 4)), err.message);
      }
      return true;
    };
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => ivrsm.Session.restore(machine, bytes.subarray(0, n)), refused, `${n} bytes`);
      assert.throws(() => ivrsm.Session.restore(machine, snap.slice(0, n)), refused, `${n} chars`);
    }
    // Every byte replaced by one that is not UTF-8: refused, never read as U+FFFD.
    for (let i = 0; i < bytes.length; i++) {
      const bad = Buffer.from(bytes);
      bad[i] = 0xff;
      assert.throws(() => ivrsm.Session.restore(machine, bad), refused, `0xff at ${i}`);
    }
    const other = ivrsm.Machine.load(DATES);
    assert.throws(() => ivrsm.Session.restore(other, snap), { code: 'ESNAPSHOT', message: /machine/ });
    assert.throws(() => ivrsm.Session.restore(machine, Buffer.from(snap.replace('{', '{\u0000'))),
      { name: 'Error', code: 'ERR_INVALID_ARG_VALUE', message: /snapshot contains a NUL/ });
  });

  it('refuses what is no snapshot with the binding\'s TypeError', () => {
    const snap = started().snapshot();
    for (const bad of [undefined, null, 42, {}, JSON.parse(snap), [snap], new Uint8Array(4), Symbol('s')]) {
      assert.throws(() => ivrsm.Session.restore(machine, bad),
        { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'ivrsm: a snapshot must be a string or a Buffer' },
        String(typeof bad));
    }
  });
});

describe('values JSON cannot write', () => {
  // JSON.stringify threw its own TypeError ("Do not know how to serialize a BigInt",
  // "Converting circular structure to JSON"), naming no argument and without a code, and a
  // function as a body became no body at all.
  const circular = { site: 'lyon' };
  circular.self = circular;
  const unwritable = [{ site: 10n }, circular, () => 1, Symbol('s')];

  it('are refused as a ctx', () => {
    for (const ctx of unwritable) {
      assert.throws(() => machine().session({ ctx }),
        { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /^ivrsm: ctx cannot be written as JSON/ });
    }
  });

  it('are refused as a body, the result still awaited', () => {
    const s = machine().session({ ctx: MENU_CTX });
    s.start();
    s.commands();
    s.feed({ type: 'dtmf', text: '1' });
    const http = s.commands().find((c) => c.type === 'http');
    for (const body of unwritable) {
      assert.throws(() => s.feed({ type: 'result', commandId: http, status: 200, body }),
        { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /^ivrsm: body cannot be written as JSON/ });
    }
    s.feed({ type: 'result', commandId: http, status: 200, body: { voice_hours: 'de 9h à 18h' } });
    assert.equal(s.state, 'more');
  });

  it('past 2^63 - 1: refused as the library refuses such an integer', () => {
    // A Number is written as its digits (2 ** 64: 18446744073709552000), which JSON allows and
    // the library does not hold: a ctx is refused, a body is not JSON and the action fails.
    // Said without its digits, which may be a card's: the message goes to logs.
    assert.throws(() => machine().session({ ctx: { site: 'lyon', n: 2 ** 64 } }), (err) => {
      assert.equal(err.code, 'EINVAL');
      assert.match(err.message, /an integer is out of range \(-9223372036854775808 to 9223372036854775807\)/);
      assert.ok(!err.message.includes('18446744073709552000'), err.message);
      return true;
    });
    const s = machine().session({ ctx: MENU_CTX });
    s.start();
    s.commands();
    s.feed({ type: 'dtmf', text: '1' });
    const http = s.commands().find((c) => c.type === 'http');
    s.feed({ type: 'result', commandId: http, status: 200, body: { voice_hours: 2 ** 64 } });
    assert.notEqual(s.state, 'more');
    assert.match(s.commands().map((c) => c.text).join(' '), /Je n'ai pas pu lire nos horaires/);
  });

  function machine() {
    return ivrsm.Machine.load(MENU);
  }
});

describe('worker threads', () => {
  // A machine or session belongs to the worker that made it (bindings/README.md, "Threads"):
  // posted to another worker it arrives as a plain object, which every method refuses, while
  // workers that load their own machine run their calls beside the main thread's.
  it('refuse handles posted from another thread, and run their own calls', async () => {
    const { Worker } = require('node:worker_threads');
    const path = require('node:path');
    const machine = ivrsm.Machine.load(MENU);
    const s = machine.session({ ctx: MENU_CTX });
    s.start();
    s.commands();
    const worker = `
      const { parentPort, workerData } = require('node:worker_threads');
      const ivrsm = require(workerData.binding);
      parentPort.once('message', (posted) => {
        const refused = [];
        for (const [name, value] of Object.entries(posted)) {
          try {
            ivrsm.Session.prototype.feed.call(value, { type: 'dtmf', text: '1' });
          } catch (e) {
            if (e.name === 'TypeError' && e.code === 'ERR_INVALID_ARG_TYPE') refused.push(name);
          }
        }
        const m = ivrsm.Machine.load(workerData.menu);
        const states = [];
        for (let n = 0; n < 100; n++) {
          const own = m.session({ ctx: workerData.ctx });
          own.start();
          own.commands();
          own.feed({ type: 'dtmf', text: '1' });
          states.push(own.state);
          own.close();
        }
        parentPort.postMessage({ refused, states: [...new Set(states)] });
      });`;
    const runs = [0, 1, 2].map(() => new Promise((resolve, reject) => {
      const w = new Worker(worker, {
        eval: true,
        workerData: { binding: path.resolve(__dirname, '..'), menu: MENU, ctx: MENU_CTX },
      });
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage({ session: s, machine, handle: s._handle });
    }));
    for (const got of await Promise.all(runs)) {
      assert.deepEqual(got, { refused: ['session', 'machine', 'handle'], states: ['hours'] });
    }
    s.feed({ type: 'dtmf', text: '1' });
    assert.equal(s.state, 'hours');
  });
});
