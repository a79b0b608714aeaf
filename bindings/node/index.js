'use strict';
/*
 * Node bindings of libivrsm: run IVR (phone voice menu) state machines.
 *
 *   const ivrsm = require('ivrsm');
 *   const machine = ivrsm.Machine.load('machine.yaml');
 *   const session = machine.session({ callId: 'c-1' });
 *   session.start();
 *   for (const c of session.commands()) console.log(c.type, c.text);
 *   session.feed({ type: 'dtmf', text: '1' });
 *
 * The native addon (src/addon.c) owns the C objects; this file gives them
 * their JavaScript shape: classes, option names, JSON parsed into values.
 */

const fs = require('node:fs');
const path = require('node:path');

/* Whether meson built `buildDir` with sanitizers: loading its addon into an
 * uninstrumented node would abort the process. */
function sanitized(buildDir) {
  try {
    const options = JSON.parse(fs.readFileSync(path.join(buildDir, 'meson-info', 'intro-buildoptions.json'), 'utf8'));
    return options.some((o) => o.name === 'b_sanitize' && o.value !== 'none');
  } catch (err) {
    return false;
  }
}

/* Where the addon is: IVRSM_NODE_ADDON, then a node-gyp build, then a meson
 * build directory of the source tree (the most recently built one). */
function addonCandidates() {
  if (process.env.IVRSM_NODE_ADDON) return [process.env.IVRSM_NODE_ADDON];
  const found = [path.join(__dirname, 'build', 'Release', 'ivrsm.node')];
  const root = path.resolve(__dirname, '..', '..');
  let builds = [];
  try {
    builds = fs.readdirSync(root).filter((d) => d.startsWith('build'))
      .map((d) => path.join(root, d))
      .filter((d) => fs.existsSync(path.join(d, 'bindings', 'ivrsm.node')) && !sanitized(d))
      .map((d) => path.join(d, 'bindings', 'ivrsm.node'))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  } catch (err) {
    builds = [];
  }
  return found.concat(builds);
}

function loadAddon() {
  const tried = [];
  for (const candidate of addonCandidates()) {
    if (!fs.existsSync(candidate)) {
      tried.push(`${candidate} (missing)`);
      continue;
    }
    try {
      return require(candidate);
    } catch (err) {
      tried.push(`${candidate}: ${err.message}`);
    }
  }
  const error = new Error('ivrsm: cannot load the native addon (' + tried.join('; ') +
    '). Set IVRSM_NODE_ADDON to the path of ivrsm.node, or build it with meson or node-gyp.');
  error.code = 'ERR_IVRSM_ADDON';
  throw error;
}

const native = loadAddon();

const FORMATS = { auto: 0, yaml: 1, json: 2 };

const EVENT_TYPES = {
  dtmf: 1, speech: 2, intent: 3, noinput: 4, nomatch: 5, result: 6, handoff: 7, hangup: 8,
};

/* The library's error codes (IVRSM_E*), by name. */
const codes = Object.freeze({
  EINVAL: -1,
  ENOMEM: -2,
  EIO: -3,
  ESYNTAX: -4,
  EMACHINE: -5,
  ELIMIT: -6,
  EDUPLICATE: -7,
  ESTALE: -8,
  EENDED: -9,
  ESTATE: -10,
  ESNAPSHOT: -11,
  ENOTFOUND: -12,
  EUNEXPECTED: -13,
});

function invalid(message, code = 'ERR_INVALID_ARG_VALUE', Kind = Error) {
  const error = new Kind(`ivrsm: ${message}`);
  error.code = code;
  return error;
}

/* A UTF-16 code unit of a surrogate pair without its other half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/*
 * `text` when it is well-formed Unicode. A lone surrogate has no UTF-8 form:
 * Node would pass it on as U+FFFD, so that 'e\ud800' and 'e\udc00' became
 * one event id (the second a duplicate) and one session id (one idempotency
 * key for two calls). Python refuses such a string too (UnicodeEncodeError).
 */
function wellFormed(text, what) {
  if (typeof text.isWellFormed === 'function' ? text.isWellFormed() : !LONE_SURROGATE.test(text)) {
    return text;
  }
  const at = text.search(LONE_SURROGATE);
  const unit = text.charCodeAt(at).toString(16).toUpperCase();
  throw invalid(`${what} holds a lone surrogate (U+${unit} at index ${at}), which is not ` +
    'Unicode text', 'ERR_INVALID_ARG_VALUE', TypeError);
}

function formatCode(format, fallback) {
  const value = format === undefined ? fallback : format;
  if (!Object.prototype.hasOwnProperty.call(FORMATS, value)) {
    throw invalid(`format must be one of ${Object.keys(FORMATS).join(', ')}, not ${String(value)}`);
  }
  return FORMATS[value];
}

function filePath(file) {
  if (typeof file === 'string') return file;
  if (file instanceof URL) return require('node:url').fileURLToPath(file);
  throw invalid('a file path must be a string or a file: URL', 'ERR_INVALID_ARG_TYPE', TypeError);
}

function documentText(text) {
  if (typeof text === 'string') return wellFormed(text, 'the document');
  /* Its bytes as they are: the loader refuses one that is not UTF-8 where it is (addon get_text). */
  if (Buffer.isBuffer(text)) return text;
  throw invalid('a document must be a string or a Buffer', 'ERR_INVALID_ARG_TYPE', TypeError);
}

/*
 * `value` as JSON text, or the binding's error: JSON.stringify's own TypeError (a BigInt, an
 * object that holds itself) names no argument and has no code. A Number past 2^63 - 1 is
 * written as its digits, which the library refuses as it refuses any such integer.
 */
function jsonText(value, what) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw invalid(`${what} cannot be written as JSON: ${err.message.split('\n')[0]}`,
      'ERR_INVALID_ARG_VALUE', TypeError);
  }
  /* A function or a symbol: JSON has no such value, and "no body" is not what was given. */
  if (text === undefined) {
    throw invalid(`${what} cannot be written as JSON: a ${typeof value}`, 'ERR_INVALID_ARG_VALUE',
      TypeError);
  }
  return text;
}

/* A snapshot as the addon takes it: its text, or a Buffer's bytes as they are. */
function snapshotText(snapshot) {
  if (typeof snapshot === 'string') return wellFormed(snapshot, 'snapshot');
  if (Buffer.isBuffer(snapshot)) return snapshot;
  throw invalid('a snapshot must be a string or a Buffer', 'ERR_INVALID_ARG_TYPE', TypeError);
}

/* What a clock returned, as milliseconds since the epoch. */
function milliseconds(value) {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/* The clock and trace as the addon calls them (raw values, JSON text). */
function nativeCallbacks(opts) {
  const out = {};
  for (const key of ['clock', 'trace']) {
    if (opts[key] !== undefined && opts[key] !== null && typeof opts[key] !== 'function') {
      throw invalid(`${key} must be a function`, 'ERR_INVALID_ARG_TYPE', TypeError);
    }
  }
  if (opts.clock) {
    const clock = opts.clock;
    out.clock = () => milliseconds(clock());
  }
  if (opts.trace) {
    const trace = opts.trace;
    out.trace = (record) => trace(JSON.parse(record));
  }
  return out;
}

const LIMIT_KEYS = ['maxConsecutiveFailures', 'maxStateVisits', 'maxStepsPerEvent', 'otpMaxAttempts',
  'minConfidence'];

/* Per-call bounds overriding the machine's; null keeps them all. */
function checkLimits(limits) {
  if (limits === undefined || limits === null) return null;
  if (typeof limits !== 'object') {
    throw invalid('limits must be an object', 'ERR_INVALID_ARG_TYPE', TypeError);
  }
  const unknown = Object.keys(limits).filter((k) => !LIMIT_KEYS.includes(k));
  if (unknown.length) {
    throw invalid(`unknown limits ${unknown.join(', ')} (known: ${LIMIT_KEYS.join(', ')})`);
  }
  const out = {};
  for (const key of LIMIT_KEYS) {
    const value = limits[key];
    if (value === undefined || value === null) continue;
    const ok = key === 'minConfidence'
      ? typeof value === 'number' && value >= 0 && value <= 1
      : Number.isInteger(value) && value >= 0 && value <= 2147483647;
    if (!ok) {
      throw invalid(`limits.${key} must be ${key === 'minConfidence' ? 'within 0..1' : 'a non-negative integer'}`,
        'ERR_OUT_OF_RANGE', RangeError);
    }
    out[key] = value;
  }
  return out;
}

function optionalString(value, what) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw invalid(`${what} must be a string`, 'ERR_INVALID_ARG_TYPE', TypeError);
  }
  return wellFormed(value, what);
}

/**
 * A compiled, immutable machine; share it between any number of sessions.
 * Its name, version and states are copied at load, so they stay readable
 * after close(). Sessions hold their own reference on the C machine.
 */
class Machine {
  constructor(handle) {
    if (!handle) throw invalid('use Machine.load() or Machine.fromString()');
    this._handle = handle;
    const info = native.machineInfo(handle);
    this.name = info.name;
    this.version = info.version;
    this.states = info.states;
    this.stateTypes = info.stateTypes;
    this.initialState = info.initialState;
    /* What the host gives in the initial ctx (the machine's inputs:), defaults parsed. */
    this.inputs = info.inputs.map((i) => ({ ...i, default: i.default === null ? null : JSON.parse(i.default) }));
  }

  /** Load the machine in file `file`; throws an Error with file, line, column, path, code. */
  static load(file, format) {
    return new Machine(native.loadFile(filePath(file), formatCode(format, 'auto')));
  }

  /** Load a machine from a document in memory (format 'yaml' by default). */
  static fromString(text, format, name) {
    return new Machine(native.loadString(documentText(text), formatCode(format, 'yaml'),
      optionalString(name, 'name')));
  }

  get closed() {
    return native.isClosed(this._handle);
  }

  /** A new session (one call): opts {callId, sessionId, ctx, clock, trace, limits}. */
  session(opts = {}) {
    return new Session(this, opts);
  }

  /**
   * `number` (a caller id: digits after an optional '+') in E.164 by this
   * machine's numbering plan (phone_region, else its locale), as its phone
   * collects read a keyed number; null when it is not a phone number there.
   */
  phoneE164(number) {
    return native.machinePhoneE164(this._handle, number);
  }

  /** Drop this object's reference on the C machine now (idempotent). */
  close() {
    native.machineClose(this._handle);
  }
}

/**
 * One call. Start it, execute the commands, feed what happened. feed()
 * returns nothing when the event was taken, or throws an Error whose .code
 * is 'EDUPLICATE', 'ESTALE', 'EUNEXPECTED', 'EENDED', 'ESTATE'... (the
 * event was then ignored).
 */
class Session {
  constructor(machine, opts = {}, handle = undefined) {
    if (!(machine instanceof Machine)) {
      throw invalid('a session needs an ivrsm.Machine', 'ERR_INVALID_ARG_TYPE', TypeError);
    }
    this.machine = machine;
    if (handle) {
      this._handle = handle;
      return;
    }
    if (opts === null || typeof opts !== 'object') {
      throw invalid('session options must be an object', 'ERR_INVALID_ARG_TYPE', TypeError);
    }
    let ctxJson = null;
    if (typeof opts.ctx === 'string') ctxJson = wellFormed(opts.ctx, 'ctx');
    else if (opts.ctx !== undefined && opts.ctx !== null) ctxJson = jsonText(opts.ctx, 'ctx');
    this._handle = native.sessionNew(machine._handle, {
      callId: optionalString(opts.callId, 'callId'),
      sessionId: optionalString(opts.sessionId, 'sessionId'),
      ctxJson,
      limits: checkLimits(opts.limits),
      ...nativeCallbacks(opts),
    });
  }

  /**
   * Rebuild a session saved by snapshot(), on a machine of the same name and
   * version; opts {clock, trace, limits} as for a new session (not saved).
   */
  static restore(machine, snapshot, opts = {}) {
    if (!(machine instanceof Machine)) {
      throw invalid('restore needs an ivrsm.Machine', 'ERR_INVALID_ARG_TYPE', TypeError);
    }
    const options = opts || {};
    const handle = native.sessionRestore(machine._handle, snapshotText(snapshot), {
      limits: checkLimits(options.limits),
      ...nativeCallbacks(options),
    });
    return new Session(machine, {}, handle);
  }

  /** Enter the initial state; its commands are then waiting in commands(). */
  start() {
    native.sessionStart(this._handle);
  }

  /**
   * Feed one event: {type: 'dtmf'|'speech'|'intent'|'noinput'|'nomatch'|
   * 'result'|'handoff'|'hangup', text, confidence, eventId, commandId,
   * status, body, error, ok}.
   */
  feed(event) {
    native.sessionFeed(this._handle, nativeEvent(event));
  }

  /** Every command waiting, oldest first, as plain objects. */
  commands() {
    return native.sessionCommands(this._handle).map(shapeCommand);
  }

  /** Name of the current state, null before start(). */
  get state() {
    return native.sessionStatus(this._handle).state;
  }

  /** True once the call is over (hangup emitted or received, handoff done). */
  get ended() {
    return native.sessionStatus(this._handle).ended;
  }

  /**
   * True when the caller's next input is a secret (a one-time code, a PIN,
   * also in a state that hands its input on to such a collect): mask it in
   * logs and echoes, keep it off speech recognisers.
   */
  get inputIsSecret() {
    return native.sessionStatus(this._handle).inputIsSecret;
  }

  /**
   * The collect mode that reads the next input ('phone', 'otp', 'digits',
   * 'date_nl', 'date_past', 'free_speech_or_no', 'reference'), also for a retry state that hands its
   * input on to a collect; null when none.
   */
  get inputCollect() {
    return native.sessionStatus(this._handle).inputCollect;
  }

  /** A copy of the ctx, secrets included (for the host, not for logs). */
  get ctx() {
    return JSON.parse(native.sessionCtx(this._handle));
  }

  /** The whole session as JSON text, for Session.restore(). */
  snapshot() {
    return native.sessionSnapshot(this._handle);
  }

  get closed() {
    return native.isClosed(this._handle);
  }

  /** Free the C session now (idempotent); the garbage collector does it otherwise. */
  close() {
    native.sessionClose(this._handle);
  }
}

function commandId(value) {
  const id = value !== null && typeof value === 'object' ? value.id : value;
  if (typeof id === 'bigint' && id >= 0n && id <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(id);
  if (!Number.isSafeInteger(id) || id < 0) {
    throw invalid('commandId must be a non-negative integer (or the command itself)',
      'ERR_INVALID_ARG_TYPE', TypeError);
  }
  return id;
}

function resultBody(body) {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string') return wellFormed(body, 'body');
  /* Its bytes as they are: a body that is not UTF-8 is not JSON, and the action fails. */
  if (Buffer.isBuffer(body)) return body;
  return jsonText(body, 'body');
}

/* Check an event and give it the addon's shape. */
function nativeEvent(event) {
  if (event === null || typeof event !== 'object') {
    throw invalid('an event must be an object', 'ERR_INVALID_ARG_TYPE', TypeError);
  }
  const type = EVENT_TYPES[event.type];
  if (!type) {
    throw invalid(`unknown event type ${JSON.stringify(event.type)} (one of ` +
      `${Object.keys(EVENT_TYPES).join(', ')})`);
  }
  const out = { type, eventId: optionalString(event.eventId, 'eventId') };
  switch (event.type) {
    case 'dtmf':
    case 'speech':
    case 'intent':
      if (typeof event.text !== 'string') {
        throw invalid(`a ${event.type} event needs a text`, 'ERR_INVALID_ARG_TYPE', TypeError);
      }
      out.text = wellFormed(event.text, 'text');
      if (event.type === 'speech' && event.confidence !== undefined && event.confidence !== null) {
        if (typeof event.confidence !== 'number' || !(event.confidence >= 0 && event.confidence <= 1)) {
          throw invalid('confidence must be a number within 0..1', 'ERR_OUT_OF_RANGE', RangeError);
        }
        out.confidence = event.confidence;
      }
      break;
    case 'result':
      out.commandId = commandId(event.commandId);
      if (!Number.isInteger(event.status)) {
        throw invalid('a result needs an integer status (0 for a transport error)',
          'ERR_INVALID_ARG_TYPE', TypeError);
      }
      out.status = event.status;
      out.body = resultBody(event.body);
      out.error = optionalString(event.error, 'error');
      break;
    case 'handoff':
      out.commandId = commandId(event.commandId);
      out.ok = Boolean(event.ok);
      break;
    default:
      break;
  }
  return out;
}

/*
 * A command in the library's encoding (ivrsm_command_to_json), the one the C
 * API, this package and the Python package share: keys as the C struct names
 * them, absent when empty, http bodies and handoff contexts as values.
 */
function shapeCommand(text) {
  return JSON.parse(text);
}

/** Every error and warning of the machine in file `file`, sorted by position. */
function check(file, format) {
  return native.checkFile(filePath(file), formatCode(format, 'auto'));
}

/** The same for a document in memory. */
function checkString(text, format, name) {
  return native.checkString(documentText(text), formatCode(format, 'yaml'),
    optionalString(name, 'name'));
}

/**
 * `number` (digits after an optional '+') in E.164 by the numbering plan of
 * locale `region` ('fr-FR', 'en-US'...); null when it is not a phone number
 * there. An unknown region throws an Error with code 'ENOTFOUND'.
 */
function phoneE164(number, region) {
  return native.phoneE164(typeof number === 'string' ? wellFormed(number, 'number') : number,
    typeof region === 'string' ? wellFormed(region, 'region') : region);
}

module.exports = {
  Machine,
  Session,
  check,
  checkString,
  phoneE164,
  codes,
  libraryVersion: native.version,
};
