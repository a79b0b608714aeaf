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
