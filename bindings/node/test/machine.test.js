'use strict';
// Loading machines, load errors with their positions, and check().

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { ivrsm, MENU, WARNING, DANGLING, MISSING, SEED, SEED_JSON } = require('./support');

describe('Machine.load', () => {
  it('copies name, version and states', () => {
    const m = ivrsm.Machine.load(MENU);
    assert.equal(m.name, 'bindings_menu');
    assert.equal(m.version, '1.0');
    assert.deepEqual(m.states, ['menu', 'hours', 'more', 'agent', 'goodbye']);
    assert.equal(m.initialState, 'menu');
    assert.equal(m.stateTypes.hours, 'action_then_prompt');
    assert.equal(m.stateTypes.agent, 'handoff');
    assert.equal(m.closed, false);
    m.close();
    m.close();
    assert.equal(m.closed, true);
    assert.equal(m.name, 'bindings_menu');
  });

  it('reads the seed in YAML and JSON alike, from a path or a URL', () => {
    const y = ivrsm.Machine.load(SEED);
    const j = ivrsm.Machine.load(pathToFileURL(SEED_JSON));
    assert.equal(y.name, 'synergia_rdv_mvp_ivr');
    assert.equal(y.version, '1.0.0');
    assert.deepEqual(j.states, y.states);
    assert.equal(y.initialState, 'ivr.entry');
  });

  it('loads documents from memory', () => {
    const m = ivrsm.Machine.fromString(fs.readFileSync(MENU, 'utf8'));
    assert.equal(m.name, 'bindings_menu');
    const doc = { machine: 'tiny', version: '2', states: { bye: { type: 'prompt_end', prompt: 'Au revoir.' } } };
    const j = ivrsm.Machine.fromString(JSON.stringify(doc), 'json');
    assert.deepEqual([j.name, j.version, j.states], ['tiny', '2', ['bye']]);
    const b = ivrsm.Machine.fromString(Buffer.from(JSON.stringify(doc)), 'auto');
    assert.deepEqual(b.states, ['bye']);
  });

  it('names file, line, column and path of a semantic error', () => {
    assert.throws(() => ivrsm.Machine.load(DANGLING), (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.code, 'EMACHINE');
      assert.equal(e.errno, ivrsm.codes.EMACHINE);
      assert.equal(e.file, DANGLING);
      assert.equal(e.line, 13);
      assert.equal(e.column, 15);
      assert.equal(e.path, 'states.ask.routes[0].next');
      assert.equal(e.reason, "next: no state named 'nowhere'");
      assert.equal(e.message, `${DANGLING}:13:15: next: no state named 'nowhere'`);
      return true;
    });
  });

  it('reports a syntax error under the buffer name', () => {
    const text = 'machine: demo\nversion: "1"\nstates: [unclosed\n';
    assert.throws(() => ivrsm.Machine.fromString(text, 'yaml', 'inline.yaml'), (e) => {
      assert.equal(e.code, 'ESYNTAX');
      assert.equal(e.file, 'inline.yaml');
      assert.ok(e.line > 0);
      assert.match(e.reason, /YAML syntax error/);
      assert.match(e.message, /^inline\.yaml:\d+:\d+: YAML syntax error/);
      return true;
    });
  });

  it('reports an unknown key in JSON at its position', () => {
    const text = '{"machine": "m", "version": "1", "colour": "blue",\n "states": {}}';
    assert.throws(() => ivrsm.Machine.fromString(text, 'json'), (e) => {
      assert.equal(e.code, 'EMACHINE');
      assert.equal(e.file, '<buffer>');
      assert.deepEqual([e.line, e.column, e.path], [1, 34, 'colour']);
      assert.match(e.reason, /colour/);
      return true;
    });
  });

  it('reports a missing file', () => {
    assert.throws(() => ivrsm.Machine.load(MISSING), (e) => {
      assert.equal(e.code, 'EIO');
      assert.equal(e.file, MISSING);
      return true;
    });
  });

  it('refuses bad arguments before the library sees them', () => {
    assert.throws(() => ivrsm.Machine.load(MENU, 'xml'), /format must be one of auto, yaml, json/);
    assert.throws(() => ivrsm.Machine.load('menu\0.yaml'), /path contains a NUL character/);
    assert.throws(() => ivrsm.Machine.load(42), TypeError);
    assert.throws(() => ivrsm.Machine.fromString({}), TypeError);
    assert.throws(() => new ivrsm.Machine(), /use Machine.load/);
  });

  it('makes no session once closed', () => {
    const m = ivrsm.Machine.load(MENU);
    m.close();
    assert.throws(() => m.session(), { code: 'ECLOSED', message: 'ivrsm: the machine is closed' });
  });

  it('tells the library version, the one meson.build holds', () => {
    const root = path.resolve(__dirname, '../../..');
    const meson = /version: '([^']+)'/.exec(fs.readFileSync(path.join(root, 'meson.build'), 'utf8'))[1];
    assert.equal(ivrsm.libraryVersion(), meson);
  });
});

describe('check', () => {
  it('reports a warning with its rule and position', () => {
    assert.deepEqual(ivrsm.check(WARNING), [{
      severity: 'warning',
      line: 8,
      column: 3,
      path: 'states.orphan',
      rule: 'unreachable-state',
      message: "state 'orphan' is unreachable from the initial state 'hello'",
    }]);
    assert.deepEqual(ivrsm.Machine.load(WARNING).states, ['hello', 'orphan']);
  });

  it('reports errors', () => {
    const [d, ...rest] = ivrsm.check(DANGLING);
    assert.equal(rest.length, 0);
    assert.equal(d.severity, 'error');
    assert.equal(d.rule, 'dangling-next');
    assert.deepEqual([d.line, d.column, d.path], [13, 15, 'states.ask.routes[0].next']);
  });

  it('warns about ctx keys only the host sets', () => {
    const found = ivrsm.check(MENU).map((d) => `${d.severity} ${d.rule} ${d.line}`);
    assert.deepEqual(found, [
      'warning template-path-never-set 46',
      'warning template-path-never-set 50',
      'warning template-path-never-set 52',
    ]);
  });

  it('checks documents in memory', () => {
    const text = fs.readFileSync(WARNING, 'utf8').replace('  orphan:', '  orphan_typo:');
    const [d] = ivrsm.checkString(text, 'yaml', 'w.yaml');
    assert.equal(d.path, 'states.orphan_typo');
    assert.equal(d.message, "state 'orphan_typo' is unreachable from the initial state 'hello'");
  });

  it('throws when the file cannot be read', () => {
    assert.throws(() => ivrsm.check(MISSING), (e) => {
      assert.equal(e.code, 'EIO');
      assert.match(e.message, /no-such-machine\.yaml/);
      return true;
    });
  });
});
