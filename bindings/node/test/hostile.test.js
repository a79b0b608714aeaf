'use strict';
// Strings a host may pass that UTF-8 cannot write: refused, not changed.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { ivrsm, MENU, MENU_CTX } = require('./support');

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
