// Type declarations of the Node bindings of libivrsm.

/** 'auto' picks JSON for a .json file (or a document starting with '{'), YAML otherwise. */
export type Format = 'auto' | 'yaml' | 'json';

/** The library's error codes (IVRSM_E*), by name. */
export declare const codes: Readonly<{
  EINVAL: -1;
  ENOMEM: -2;
  EIO: -3;
  ESYNTAX: -4;
  EMACHINE: -5;
  ELIMIT: -6;
  EDUPLICATE: -7;
  ESTALE: -8;
  EENDED: -9;
  ESTATE: -10;
  ESNAPSHOT: -11;
  ENOTFOUND: -12;
  EUNEXPECTED: -13;
}>;

export type ErrorCode = keyof typeof codes;

/** An Error thrown by the library: code 'ESTALE'..., errno the IVRSM_E* number. */
export interface IvrsmError extends Error {
  code: ErrorCode;
  errno: number;
}

/** A load failure; message is "FILE:LINE:COLUMN: REASON". */
export interface LoadError extends IvrsmError {
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  column: number;
  /** Document path of the offending node, e.g. "states.menu.routes[0].next"; "" for the document. */
  path: string;
  /** The library's message alone, without the position. */
  reason: string;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  line: number;
  column: number;
  path: string;
  /** Stable rule id, e.g. "unreachable-state", "dangling-next". */
  rule: string;
  message: string;
}

/** Any JSON value (ctx, bodies, trace records). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface TraceRecord {
  kind: string;
  seq: number;
  session: string;
  [field: string]: Json;
}

export interface SessionOptions {
  /** Copied into ctx.call_id. */
  callId?: string | null;
  /** Copied into ctx.session_id; derived from callId when absent. */
  sessionId?: string | null;
  /** Initial ctx: an object, or its JSON text. */
  ctx?: { [key: string]: Json } | string | null;
  /**
   * Now, in milliseconds since the epoch (a Date or BigInt works too), within the years 1 to
   * 9999. Called synchronously, at start() and at each event before anything else: a clock that
   * throws or gives another time makes that call throw, the session unchanged.
   */
  clock?: (() => number | bigint | Date) | null;
  /** Receives every trace record, secrets replaced by "***". Called synchronously. */
  trace?: ((record: TraceRecord) => void) | null;
  /** Bounds of this call, overriding the machine's; 0 or absent keeps the machine's value. */
  limits?: Limits | null;
}

export interface Limits {
  /** No-input, no-match and failed actions in a row. */
  maxConsecutiveFailures?: number;
  /** Entries into one state. */
  maxStateVisits?: number;
  /** States entered while handling one event. */
  maxStepsPerEvent?: number;
  /** Failed OTP verifications. */
  otpMaxAttempts?: number;
  /** Speech below it is a no-match (0..1). */
  minConfidence?: number;
}

export interface RestoreOptions {
  clock?: SessionOptions['clock'];
  trace?: SessionOptions['trace'];
  limits?: SessionOptions['limits'];
}

/*
 * Commands are the library's encoding (ivrsm_command_to_json), shared with the
 * C API and the Python package: keys as the C struct names them, a key absent
 * when the library has nothing for it.
 */
interface CommandBase {
  /** Unique and increasing within the session; results name it. */
  id: number;
  /** The state that emitted the command. */
  state: string;
  /** say/ask/handoff: the words to say (every `say` part); a host that plays recordings uses `parts`. */
  text?: string;
}

/** One part of what is said, in order: words, or a recording's URI. */
export type Part = { say: string } | { play: string };

export interface SayCommand extends CommandBase {
  type: 'say';
  parts?: Part[];
  /** The language of the words (a locale of the machine's languages, "en-US"): the voice to use. */
  language?: string;
}

export interface AskCommand extends CommandBase {
  type: 'ask';
  parts?: Part[];
  /** The language of the words and of the answer to recognise ("en-US"). */
  language?: string;
  dtmf: boolean;
  speech: boolean;
  min_digits: number;
  max_digits: number;
  terminators?: string;
  timeout_ms: number;
  digit_timeout_ms: number;
  barge_in: boolean;
  hints: string[];
  collect?: 'phone' | 'otp' | 'digits' | 'date_nl' | 'date_past' | 'free_speech_or_no' | 'reference';
}

export interface HttpCommand extends CommandBase {
  type: 'http';
  endpoint?: string;
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path with parameters URL-encoded; the base URL is the host's. */
  path: string;
  /** URL-encoded "k=v&k2=v2". */
  query?: string;
  headers: { [name: string]: string };
  /** The JSON body, parsed. */
  body?: Json;
  idempotency_key?: string;
  timeout_ms: number;
}

export interface HandoffCommand extends CommandBase {
  type: 'handoff';
  parts?: Part[];
  /** The language the caller speaks ("en-US"), for the words said and the agent. */
  language?: string;
  queue?: string;
  /** session_id, call_id, machine, state, path, ctx summary (secrets redacted). */
  context?: Json;
}

export interface HangupCommand extends CommandBase {
  type: 'hangup';
  reason?: string;
}

export type Command = SayCommand | AskCommand | HttpCommand | HandoffCommand | HangupCommand;

interface EventBase {
  /** A repeated id is refused with code 'EDUPLICATE'. */
  eventId?: string | null;
}

export type Event =
  | (EventBase & { type: 'dtmf'; text: string })
  | (EventBase & { type: 'speech'; text: string; confidence?: number | null })
  | (EventBase & { type: 'intent'; text: string })
  | (EventBase & { type: 'noinput' | 'nomatch' | 'hangup' })
  | (EventBase & {
      type: 'result';
      commandId: number | bigint | HttpCommand;
      /** HTTP status, 0 for a transport error. */
      status: number;
      /** JSON text, a Buffer, or a value to serialise. */
      body?: string | Buffer | Json;
      /** Transport error ("timeout"...). */
      error?: string | null;
    })
  | (EventBase & { type: 'handoff'; commandId: number | bigint | HandoffCommand; ok: boolean });

export declare class Machine {
  private constructor(handle: unknown);
  /** Throws a LoadError naming file, line, column and document path. */
  static load(file: string | URL, format?: Format): Machine;
  static fromString(text: string | Buffer, format?: Format, name?: string | null): Machine;
  readonly name: string;
  readonly version: string;
  /** State names, in document order. */
  readonly states: string[];
  readonly stateTypes: { [state: string]: string };
  readonly initialState: string;
  /** The ctx keys the host gives (the machine's inputs:), in document order. */
  readonly inputs: ReadonlyArray<{
    name: string;
    type: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';
    default: Json;
    required: boolean;
    description: string | null;
  }>;
  readonly closed: boolean;
  session(opts?: SessionOptions): Session;
  /** A caller id in E.164 by the machine's numbering plan (phone_region, else locale); null when it is not a phone number there. */
  phoneE164(number: string): string | null;
  /** Drop this object's reference on the C machine; running sessions keep theirs. */
  close(): void;
}

export declare class Session {
  private constructor(machine: Machine, opts?: SessionOptions);
  /**
   * snapshot: the text snapshot() gave, or its bytes as a Buffer. Throws an IvrsmError with
   * code 'ESNAPSHOT' for a malformed or foreign snapshot.
   */
  static restore(machine: Machine, snapshot: string | Buffer, opts?: RestoreOptions): Session;
  readonly machine: Machine;
  start(): void;
  /** Returns when the event was taken; throws (EDUPLICATE, ESTALE, EUNEXPECTED, EENDED, ESTATE, ELIMIT) when it was ignored. */
  feed(event: Event): void;
  /** Every command waiting, oldest first. */
  commands(): Command[];
  readonly state: string | null;
  readonly ended: boolean;
  /** Whether the caller's next input is a secret (an OTP, a PIN; also in a state that hands it on to one): mask it, keep it off recognisers. */
  readonly inputIsSecret: boolean;
  /** The collect mode that reads the next input (also for a retry state that hands it on), null when none. */
  readonly inputCollect:
    | 'phone'
    | 'otp'
    | 'digits'
    | 'date_nl'
    | 'date_past'
    | 'free_speech_or_no'
    | 'reference'
    | null;
  /** A copy of the ctx, secrets included. */
  readonly ctx: { [key: string]: Json };
  snapshot(): string;
  readonly closed: boolean;
  close(): void;
}

export declare function check(file: string | URL, format?: Format): Diagnostic[];
export declare function checkString(text: string | Buffer, format?: Format, name?: string | null): Diagnostic[];
/** `number` (digits after an optional '+') in E.164 by the numbering plan of locale `region`; null when it is not a phone number there; throws (ENOTFOUND) for an unknown region. */
export declare function phoneE164(number: string, region: string): string | null;
/** The version of libivrsm actually loaded. */
export declare function libraryVersion(): string;
