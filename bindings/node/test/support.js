'use strict';
// Paths and small helpers shared by the binding tests (not a test file).

const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..');
const testdata = path.join(root, 'bindings', 'testdata');

module.exports = {
  ivrsm: require('..'),
  MENU: path.join(testdata, 'menu.yaml'),
  DATES: path.join(testdata, 'dates.yaml'),
  LANGUAGES: path.join(testdata, 'languages.yaml'),
  AUDIO: path.join(testdata, 'audio.yaml'),
  WARNING: path.join(testdata, 'warning.yaml'),
  DANGLING: path.join(testdata, 'dangling.yaml'),
  MISSING: path.join(testdata, 'no-such-machine.yaml'),
  SEED: path.join(root, 'examples', 'synergia_rdv', 'machine.yaml'),
  SEED_JSON: path.join(root, 'examples', 'synergia_rdv', 'machine.json'),
  // 2026-11-25T10:00:00+01:00 (a Wednesday), in milliseconds since the epoch.
  NOW_MS: 1795597200000,
  MENU_CTX: { site: 'lyon', api_token: 'tok-abc', pin_code: '9876' },
  types: (commands) => commands.map((c) => c.type),
  /** The single command of type `kind` in `commands`. */
  only(commands, kind) {
    const found = commands.filter((c) => c.type === kind);
    if (found.length !== 1) {
      throw new Error(`expected one ${kind} command in ${commands.map((c) => c.type)}`);
    }
    return found[0];
  },
};
