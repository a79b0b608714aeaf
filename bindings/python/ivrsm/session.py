"""Sessions: one per call. Feed events, pull commands."""

import ctypes
import datetime
import json
import threading

from . import _native
from .errors import Error, OutOfMemory, error_class, from_code, from_struct


def command_dict(c):
    """A command as the library encodes it (ivrsm_command_to_json), the one
    encoding of the C API, the Node binding and this package; copied at once,
    since the struct only lives until the next call."""
    return json.loads(_native.take_string(_native.lib.ivrsm_command_to_json(ctypes.byref(c))))


# What the clock callback gives the library when the host's clock failed: a time the library
# refuses (outside IVRSM_CLOCK_MIN_MS..IVRSM_CLOCK_MAX_MS), so that the start or the event is not
# done at all, the session left as it was, and the callback's exception is raised instead.
_CLOCK_REFUSED = -(2**63)
_CLOCK_MIN_MS = -62135596800000  # 0001-01-01T00:00:00Z
_CLOCK_MAX_MS = 253402300799999  # 9999-12-31T23:59:59.999Z


def _milliseconds(value):
    """What a clock returned, as milliseconds since the epoch within the years 1 to 9999."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("ivrsm: the clock returned a naive datetime; give it a timezone")
        # Not timestamp(), which is a float: milliseconds past 2**53 would be rounded.
        return (value - _EPOCH) // datetime.timedelta(milliseconds=1)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"ivrsm: the clock must return milliseconds since the epoch or an aware datetime, "
            f"not {type(value).__name__}"
        )
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"ivrsm: the clock returned {value!r}, not a time")
    ms = int(value)
    # The C callback returns an int64: ctypes would print a larger number's error and hand the
    # library 0 (the epoch) in its place, a wrong date said without a word to the caller.
    if not -(2**63) <= ms < 2**63:
        raise OverflowError(f"ivrsm: the clock returned {value!r}, past a 64-bit millisecond count")
    if not _CLOCK_MIN_MS <= ms <= _CLOCK_MAX_MS:
        raise ValueError(f"ivrsm: the clock returned {value!r}, outside the years 1 to 9999")
    return ms


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


_LIMIT_KEYS = {name for name, _ in _native.Limits._fields_}


def _limits(limits):
    """A dict of per-call bounds as the C struct; None keeps the machine's."""
    if limits is None:
        return None
    if not isinstance(limits, dict):
        raise TypeError(f"ivrsm: limits must be a dict, not {type(limits).__name__}")
    unknown = set(limits) - _LIMIT_KEYS
    if unknown:
        raise ValueError(
            f"ivrsm: unknown limits {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_LIMIT_KEYS))})"
        )
    out = _native.Limits()
    for key, value in limits.items():
        if key == "min_confidence":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"ivrsm: min_confidence must be a number, not {value!r}")
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"ivrsm: min_confidence must be within 0..1, not {value!r}")
            out.min_confidence = float(value)
        else:
            # The C field is an int: ctypes would keep the low 32 bits of a larger number
            # silently (2**32 + 1 became a bound of 1), so the range is checked here.
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
                raise ValueError(
                    f"ivrsm: {key} must be a non-negative int below 2**31, not {value!r}"
                )
            setattr(out, key, value)
    return out


class _Hooks:
    """The clock and trace callbacks of one session, as C function pointers.

    They must outlive the C session, so the Session holds this object until
    after ivrsm_session_free(). An exception raised by a callback cannot cross
    the C library: it is kept here and raised again once the library returns.
    Nothing here refers back to the Session, so dropping a session frees the
    C object at once.
    """

    def __init__(self, clock, trace):
        for what, fn in (("clock", clock), ("trace", trace)):
            if fn is not None and not callable(fn):
                raise TypeError(f"ivrsm: {what} must be callable or None")
        self.clock = clock
        self.trace = trace
        self.busy = False
        self.owner = None  # the thread inside the library for this session
        # One thread at a time in the library for this session (its calls are not
        # thread-safe, and ctypes lets other threads run during a foreign call).
        self.lock = threading.Lock()
        self.pending = None
        self.clock_fn = _native.CLOCK_FN(self._on_clock) if clock else _native.CLOCK_FN()
        self.trace_fn = _native.TRACE_FN(self._on_trace) if trace else _native.TRACE_FN()

    def options(self, limits):
        opts = _native.SessionOptions()
        opts.clock = self.clock_fn
        opts.trace = self.trace_fn
        if limits is not None:
            opts.limits = ctypes.pointer(limits)
        return opts

    def _keep(self, exc):
        if self.pending is None:
            self.pending = exc

    def _on_clock(self, _user):
        if self.pending is not None:
            return _CLOCK_REFUSED
        try:
            return _milliseconds(self.clock())
        except BaseException as exc:  # noqa: B036 - re-raised after the C call
            self._keep(exc)
            return _CLOCK_REFUSED

    def _on_trace(self, _user, record):
        if self.pending is not None:
            return
        try:
            self.trace(json.loads(record.decode("utf-8", "replace")))
        except BaseException as exc:  # noqa: B036 - re-raised after the C call
            self._keep(exc)

    def in_callback(self):
        """Whether this thread is inside the library for this session (a callback runs)."""
        return self.busy and self.owner == threading.get_ident()

    def call(self, fn, *args):
        """Call into the library, refusing re-entry from a callback; another thread waits."""
        if self.in_callback():
            raise RuntimeError(
                "ivrsm: a session cannot be used from its own clock or trace callback"
            )
        with self.lock:
            self.busy = True
            self.owner = threading.get_ident()
            try:
                result = fn(*args)
            finally:
                self.busy = False
                self.owner = None
            pending, self.pending = self.pending, None
        if pending is not None:
            raise pending
        return result

    def read(self, fn):
        """A read of the session's state: under the lock, or at once from a callback."""
        if self.in_callback():
            return fn()
        with self.lock:
            return fn()


class Session:
    """One call on a machine.

    Start it, then loop: execute what commands() returns, and feed what
    happened with the feed_* methods. A feed either returns None (the event
    was taken) or raises an Error subclass: DuplicateEvent, StaleResult,
    UnexpectedEvent, SessionEnded, StateError (nothing happened in each case).

    clock: a callable returning the time, as milliseconds since the Unix epoch
        (or an aware datetime), within the years 1 to 9999; the session asks it
        at start() and at each event, before anything else. A clock that raises
        or returns another time makes that call raise, the session unchanged.
        None means 1970-01-01.
    trace: a callable receiving each trace record as a dict, secrets
        replaced by "***".
    limits: per-call bounds overriding the machine's, a dict with any of
        max_consecutive_failures, max_state_visits, max_steps_per_event,
        otp_max_attempts, min_confidence (0 or absent: the machine's value).
    Both are only called from within start() and the feed methods, in the
    calling thread, and must not call back into the session.
    """

    _free = _native.lib.ivrsm_session_free

    def __init__(
        self,
        machine,
        call_id=None,
        session_id=None,
        ctx=None,
        clock=None,
        trace=None,
        limits=None,
    ):
        self._handle = None
        self._unencoded = None
        _check_machine(machine, "a session")
        self._hooks = _Hooks(clock, trace)
        self.machine = machine
        if ctx is not None and not isinstance(ctx, str):
            ctx = _json_text(ctx, "ctx")
        opts = self._hooks.options(_limits(limits))
        opts.call_id = _native.to_c(call_id, "call_id")
        opts.session_id = _native.to_c(session_id, "session_id")
        opts.ctx_json = _native.to_c(ctx, "ctx")
        out = ctypes.c_void_p()
        err = _native.Error()
        rc = machine._use(
            lambda handle: _native.lib.ivrsm_session_new(
                handle, ctypes.byref(opts), ctypes.byref(out), ctypes.byref(err)
            )
        )
        if rc != 0:
            raise from_struct(rc, err, Error)
        self._handle = out.value

    @classmethod
    def restore(cls, machine, snapshot, clock=None, trace=None, limits=None):
        """Rebuild a session saved by snapshot(), on a machine of the same name and version.

        clock, trace and limits as for a new session (they are not saved).
        Raises SnapshotError when the snapshot is malformed or of another machine.
        """
        session = cls.__new__(cls)
        session._handle = None
        session._unencoded = None
        _check_machine(machine, "restore")
        if not isinstance(snapshot, (str, bytes)):
            raise TypeError(f"ivrsm: a snapshot must be str or bytes, not {type(snapshot).__name__}")
        session._hooks = _Hooks(clock, trace)
        session.machine = machine
        opts = session._hooks.options(_limits(limits))
        out = ctypes.c_void_p()
        err = _native.Error()
        raw_snapshot = _native.to_c(snapshot, "snapshot")
        rc = machine._use(
            lambda handle: _native.lib.ivrsm_session_restore(
                handle, raw_snapshot, ctypes.byref(opts), ctypes.byref(out), ctypes.byref(err)
            )
        )
        if rc != 0:
            raise from_struct(rc, err, error_class(rc))
        session._handle = out.value
        return session

    # --- lifecycle ---------------------------------------------------------------

    def _live(self, keep_command=False):
        if self._handle is None:
            raise ValueError("ivrsm: the session is closed")
        if not keep_command:
            # Any other call on the session ends the life of a command pulled and not copied.
            self._unencoded = None
        return self._handle

    def _call(self, fn, *args, keep_command=False):
        """fn(handle, *args) in the library; the handle is checked once the lock is held, so
        a close() from another thread never frees the session under a call."""
        return self._hooks.call(lambda: fn(self._live(keep_command), *args))

    def _read(self, fn):
        return self._hooks.read(lambda: fn(self._live()))

    def _check(self, rc, detail=None):
        if rc != 0:
            raise from_code(rc, detail)

    def start(self):
        """Enter the initial state; its commands are then ready in commands()."""
        self._check(self._call(_native.lib.ivrsm_session_start))

    @property
    def closed(self):
        return self._handle is None

    def close(self):
        """Free the C session now. Idempotent; the session is unusable afterwards."""
        if getattr(self, "_handle", None) is None:
            return
        hooks = getattr(self, "_hooks", None)
        if hooks is None:
            handle, self._handle = self._handle, None
            self._free(handle)
            return
        if hooks.in_callback():
            raise RuntimeError("ivrsm: a session cannot be closed from its own callback")
        with hooks.lock:  # a call from another thread finishes first
            handle, self._handle = self._handle, None
            if handle is not None:
                self._free(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __repr__(self):
        if self._handle is None:
            return "<ivrsm.Session closed>"
        return f"<ivrsm.Session state={self.state!r} ended={self.ended}>"

    # --- events ------------------------------------------------------------------

    def _feed(self, event_type, event_id=None, detail=None, **fields):
        ev = _native.Event()
        ev.type = event_type
        ev.event_id = _native.to_c(event_id, "event_id")
        for name, value in fields.items():
            setattr(ev, name, value)
        rc = self._call(_native.lib.ivrsm_session_feed, ctypes.byref(ev))
        if rc != 0:
            what = f"{detail} event {event_id!r}" if event_id is not None else f"{detail} event"
            raise from_code(rc, what)

    def feed_dtmf(self, digits, event_id=None):
        """The caller keyed ``digits`` (0-9 * # A-D)."""
        self._feed(_native.EVENT_DTMF, event_id, "dtmf", text=_native.to_c(digits, "digits"))

    def feed_speech(self, text, confidence=None, event_id=None):
        """The recogniser heard ``text``, with a confidence in 0..1 (None: certain)."""
        if confidence is not None and (
            isinstance(confidence, bool) or not isinstance(confidence, (int, float))
        ):
            raise TypeError(f"ivrsm: confidence must be a number, not {confidence!r}")
        if confidence is not None and not 0.0 <= confidence <= 1.0:
            raise ValueError(f"ivrsm: confidence must be within 0..1, not {confidence!r}")
        self._feed(
            _native.EVENT_SPEECH,
            event_id,
            "speech",
            text=_native.to_c(text, "text"),
            confidence=-1.0 if confidence is None else float(confidence),
        )

    def feed_intent(self, name, event_id=None):
        """An external recogniser understood the intent ``name``."""
        self._feed(_native.EVENT_INTENT, event_id, "intent", text=_native.to_c(name, "name"))

    def feed_noinput(self, event_id=None):
        """The caller said nothing before the timeout."""
        self._feed(_native.EVENT_NOINPUT, event_id, "noinput")

    def feed_nomatch(self, event_id=None):
        """The recogniser rejected what it heard."""
        self._feed(_native.EVENT_NOMATCH, event_id, "nomatch")

    def feed_result(self, command_id, status, body=None, error=None, event_id=None):
        """The answer to http command ``command_id`` (an id, or the command's dict).

        status: the HTTP status, 0 for a transport error (then give ``error``,
        e.g. "timeout"). body: the response as JSON text (str or bytes), or
        any JSON-serialisable value, or None.
        """
        if body is not None and not isinstance(body, (str, bytes)):
            body = _json_text(body, "body")
        raw_body = body.encode("utf-8") if isinstance(body, str) else body
        self._feed(
            _native.EVENT_ACTION_RESULT,
            event_id,
            "result",
            command_id=_command_id(command_id),
            status=_status(status),
            body=raw_body,
            body_len=len(raw_body) if raw_body else 0,
            error=_native.to_c(error, "error"),
        )

    def feed_handoff(self, command_id, ok, event_id=None):
        """Whether the transfer of handoff command ``command_id`` succeeded."""
        self._feed(
            _native.EVENT_HANDOFF_RESULT,
            event_id,
            "handoff result",
            command_id=_command_id(command_id),
            ok=1 if ok else 0,
        )

    def hangup(self, event_id=None):
        """The caller hung up: the session ends."""
        self._feed(_native.EVENT_HANGUP, event_id, "hangup")

    # --- commands and state -------------------------------------------------------

    def next_command(self):
        """The next command as a dict, or None when there is none.

        When memory runs out copying it, OutOfMemory is raised and the command is kept:
        the next call returns it, if nothing else was asked of the session meanwhile.
        """
        return self._call(self._next_command, keep_command=True)

    def _next_command(self, handle):
        ptr = self._unencoded
        if ptr is None:
            ptr = _native.lib.ivrsm_session_next_command(handle)
            if not ptr:
                return None
            self._unencoded = ptr
        command = command_dict(ptr.contents)
        self._unencoded = None
        return command

    def commands(self):
        """Every command waiting, as a list of dicts (oldest first).

        When memory runs out copying one, the commands copied before it are returned and
        that one waits for the next call; with none copied, OutOfMemory is raised.
        Nothing is lost either way.
        """
        found = []
        while True:
            try:
                command = self.next_command()
            except OutOfMemory:
                if found:
                    return found
                raise
            if command is None:
                return found
            found.append(command)

    @property
    def state(self):
        """Name of the current state, None before start()."""
        return _native.text(self._read(_native.lib.ivrsm_session_state))

    @property
    def ended(self):
        """True once the call is over (hangup emitted or received, handoff done)."""
        return bool(self._read(_native.lib.ivrsm_session_ended))

    @property
    def input_is_secret(self):
        """True when the caller's next input is a secret (a one-time code, a PIN, also in a
        state that hands its input on to such a collect): mask it in logs and echoes, keep it
        off speech recognisers."""
        return bool(self._read(_native.lib.ivrsm_session_input_is_secret))

    @property
    def input_collect(self):
        """The collect mode that reads the next input ("phone", "otp", "digits", "date_nl",
        "date_past", "free_speech_or_no", "reference"), also for a retry state that hands its input
        on; None when none."""
        return _native.text(self._read(_native.lib.ivrsm_session_input_collect))

    @property
    def ctx(self):
        """A copy of the session's ctx, secrets included (for the host, not for logs)."""
        return json.loads(self._call(_take_ctx))

    def snapshot(self):
        """The whole session as a JSON text, for Session.restore()."""
        out = ctypes.c_void_p()
        rc = self._call(_native.lib.ivrsm_session_snapshot, ctypes.byref(out))
        self._check(rc, "snapshot")
        return _native.take_string(out.value)


def _take_ctx(handle):
    return _native.take_string(_native.lib.ivrsm_session_ctx_json(handle))


def _command_id(value):
    if isinstance(value, dict):
        if "id" not in value:
            raise TypeError("ivrsm: a command given as a dict must have its \"id\"")
        value = value["id"]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise TypeError(f"ivrsm: a command id must be an int within 0..2**64-1, not {value!r}")
    return value


def _check_machine(machine, what):
    from .machine import Machine  # machine imports this module

    if not isinstance(machine, Machine):
        raise TypeError(f"ivrsm: {what} needs an ivrsm.Machine, not {type(machine).__name__}")


def _json_text(value, what):
    """A Python value as JSON text for the library, or a clear error (json's own names no
    argument). NaN and the infinities become NaN and Infinity, which the library refuses as
    not JSON, as it does an integer past 2**63 - 1."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise type(exc)(f"ivrsm: {what} cannot be written as JSON: {exc}") from None


def _status(value):
    """An HTTP status as the C int the library takes (never cut short: a status out of
    100..599 is a transport failure there, 0 the usual one)."""
    # int() took "200", 2.9 (as 2) and True (as 1) for a status.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"ivrsm: status must be an int, not {value!r}")
    status = value
    if not -(2**31) <= status < 2**31:
        raise ValueError(f"ivrsm: status must fit a C int, not {status}")
    return status


__all__ = ["Session"]
