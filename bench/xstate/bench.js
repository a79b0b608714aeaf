'use strict';
/*
 * The XState side of the runtime benchmark: the seed machine generated into
 * XState v5 (generate.js), driven by Node on the scripted call of
 * tests/bench_runtime.c with the same canned backend answers. Prints the
 * same figures, medians of 7 runs:
 *   load     the machine built from its JSON form (first in the process, then warm)
 *   dtmf     ns per DTMF hop (ivr.entry <-> ivr.handoff.agent_gate)
 *   speech   ns per speech hop (same states, by voice)
 *   call     µs per whole call (12 caller inputs, 9 HTTP answers)
 *   list     ns per event of the list-menu cycle (4 events, 2 HTTP)
 *   memory   JS heap per actor parked in the list menu after login
 *
 * usage: node --expose-gc bench.js MACHINE.json
 */
const fs = require('fs');
const { createActor } = require('xstate');
const { generate, key } = require('./generate');

const NOW = 1795597200000; /* the C benchmark's fixed clock */
const RUNS = 7;

const answers = {
  request_otp: '{"challenge_id":"ch-1"}',
  verify_otp: '{"session_token":"t","partner_id":42}',
  list_appointments:
    '{"count":3,"appointments":[{"id":"a1"},{"id":"a2"},{"id":"a3"}],"summary_voice":"Premier : le jeudi 3 décembre."}',
  get_appointment: '{"voice_detail":"Le jeudi 3 décembre à 14 heures 30."}',
  get_proposals:
    '{"slots":[{"id":"s1","voice_label":"lundi"},{"id":"s2","voice_label":"mardi"},{"id":"s3","voice_label":"mercredi"}]}',
};

const script = [
  ['DTMF', '1'],
  ['DTMF', '0612345678#'],
  ['SPEECH', 'un deux trois quatre cinq six'],
  ['SPEECH', 'oui'],
  ['DTMF', '2'],
  ['SPEECH', 'le premier'],
  ['SPEECH', 'je veux déplacer'],
  ['DTMF', '1'],
  ['SPEECH', 'en visio'],
  ['SPEECH', 'lundi prochain'],
  ['DTMF', '2'],
  ['SPEECH', 'partager'],
];
const LOGIN = 5;

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function ns() {
  return Number(process.hrtime.bigint());
}

function start(machine) {
  const out = [];
  const actor = createActor(machine, { input: { out, callId: 'bench', sessionId: 'bench-session' } });
  actor.start();
  serve(actor, out);
  return { actor, out };
}

/* Pull every command; answer an http command from the canned backend. */
function serve(actor, out) {
  let http = 0;
  for (;;) {
    let result = null;
    for (const c of out.splice(0)) {
      if (c.type === 'http') result = { type: 'ACTION_RESULT', id: c.id, status: 200, body: answers[c.endpoint] || '{"ok":true}' };
    }
    if (!result) return http;
    http++;
    actor.send(result);
  }
}

function say(s, [type, text]) {
  s.actor.send({ type, text });
  return serve(s.actor, s.out);
}

function loggedIn(machine) {
  const s = start(machine);
  for (let i = 0; i < LOGIN; i++) say(s, script[i]);
  const state = s.actor.getSnapshot().value;
  if (state !== key('ivr.appointments.list.router')) throw new Error('login ended in ' + JSON.stringify(state));
  return s;
}

function runCall(machine) {
  const s = start(machine);
  let http = 0;
  for (const line of script) http += say(s, line);
  if (s.actor.getSnapshot().status !== 'done') throw new Error('the call did not end: ' + JSON.stringify(s.actor.getSnapshot().value));
  s.actor.stop();
  return http;
}

function figure(fn) {
  const t = [];
  for (let r = 0; r < RUNS; r++) t.push(fn());
  return median(t);
}

function main() {
  const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let t0 = ns();
  const machine = generate(doc, NOW);
  const cold = (ns() - t0) / 1e6;
  const warm = figure(() => {
    const t = ns();
    for (let i = 0; i < 20; i++) generate(doc, NOW);
    return (ns() - t) / 20 / 1e6;
  });
  console.log(`XState ${require('xstate/package.json').version} on Node ${process.version}, the seed machine (median of ${RUNS} runs)`);
  console.log(`load     ${warm.toFixed(2)} ms warm, ${cold.toFixed(2)} ms cold (the machine built from its JSON form)`);

  const hops = (a, b, type) =>
    figure(() => {
      const s = start(machine);
      const n = 20000;
      const t = ns();
      for (let i = 0; i < n; i++) {
        s.actor.send({ type, text: i & 1 ? b : a });
        s.out.length = 0;
      }
      return (ns() - t) / n;
    });
  console.log(`dtmf     ${hops('2', '8', 'DTMF').toFixed(1)} ns per DTMF hop`);
  console.log(`speech   ${hops("l'équipe s'il vous plaît", 'retour au menu précédent', 'SPEECH').toFixed(1)} ns per speech hop`);

  const http = runCall(machine);
  const call = figure(() => {
    const n = 500;
    const t = ns();
    for (let i = 0; i < n; i++) runCall(machine);
    return (ns() - t) / n / 1000;
  });
  console.log(`call     ${call.toFixed(2)} us per whole call (${script.length} caller inputs, ${http} HTTP answers)`);

  const list = figure(() => {
    const s = loggedIn(machine);
    const n = 5000;
    const t = ns();
    for (let i = 0; i < n; i++) {
      say(s, ['DTMF', '1']);
      say(s, ['DTMF', '8']);
    }
    return (ns() - t) / (4 * n);
  });
  console.log(`list     ${list.toFixed(1)} ns per event of the list-menu cycle (4 events, 2 HTTP)`);

  if (global.gc) {
    const live = 10000;
    const keep = [];
    global.gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < live; i++) keep.push(loggedIn(machine));
    global.gc();
    const after = process.memoryUsage().heapUsed;
    console.log(`memory   ${((after - before) / live).toFixed(0)} B JS heap per actor parked in the list menu after login (${keep.length} actors)`);
  } else {
    console.log('memory   (run node with --expose-gc to measure)');
  }
}

main();
