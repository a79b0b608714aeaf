"""Loading and checking machines."""

import ctypes
import json
import os
import threading
from collections import namedtuple

from . import _native
from .errors import LoadError, from_code, from_struct

Diagnostic = namedtuple("Diagnostic", "severity line column path rule message")
Diagnostic.__doc__ = """One finding of check(): severity is "error" or "warning";
line and column are 1-based (0 when unknown); path is the document path
("states.menu.routes[0].next", "" for the whole document); rule is a stable id
such as "unreachable-state"."""


def _format_code(fmt):
    try:
        return _native.FORMATS[fmt]
    except (KeyError, TypeError):  # TypeError: a list or a dict, which no dict key can be
        raise ValueError(
            f"ivrsm: format must be one of {', '.join(_native.FORMATS)}, not {fmt!r}"
        ) from None


def _path(path):
    """A file path as the library takes it: str, bytes or os.PathLike."""
    try:
        return _native.to_c(os.fspath(path), "path")
    except TypeError:
        raise TypeError(
            f"ivrsm: a file path must be str, bytes or os.PathLike, not {type(path).__name__}"
        ) from None


def _document(text):
    if isinstance(text, str):
        return text.encode("utf-8")
    if isinstance(text, (bytes, bytearray)):
        return bytes(text)
    raise TypeError(f"ivrsm: a document must be str or bytes, not {type(text).__name__}")


class Machine:
    """A compiled, immutable machine; share it between any number of sessions.

    Create one with Machine.load() or Machine.from_string(). Its name, version
    and states are copied when it loads, so they stay readable after close().
    A session keeps its own reference on the C machine, so closing (or
    dropping) the Machine never disturbs a running call.
    """

    _unref = _native.lib.ivrsm_machine_unref

    def __init__(self, handle):
        # Built by load() and from_string() only; `handle` owns one reference.
        self._handle = handle
        # close() from one thread while another starts a session on the machine (a reload
        # during a call's arrival) must not free it under that call: see _use().
        self._lock = threading.RLock()
        self._users = 0
        self._deferred_unref = None
        lib = _native.lib
        self.name = _native.text(lib.ivrsm_machine_name(handle))
        self.version = _native.text(lib.ivrsm_machine_version(handle))
        count = lib.ivrsm_machine_state_count(handle)
        self.states = [_native.text(lib.ivrsm_machine_state_name(handle, i)) for i in range(count)]
        self.state_types = {
            self.states[i]: _native.text(lib.ivrsm_machine_state_type(handle, i))
            for i in range(count)
        }
        self.initial_state = self.states[lib.ivrsm_machine_initial_state(handle)]
        # What the host gives in the initial ctx (the machine's inputs:).
        self.inputs = []
        for i in range(lib.ivrsm_machine_input_count(handle)):
            raw = lib.ivrsm_machine_input(handle, i).contents
            default = _native.text(raw.default_json)
            self.inputs.append({
                "name": _native.text(raw.name),
                "type": _native.text(raw.type),
                "default": json.loads(default) if default is not None else None,
                "required": bool(raw.required),
                "description": _native.text(raw.description),
            })

    @classmethod
    def load(cls, path, format="auto"):
        """Load the machine in file ``path``; raise LoadError telling where and why it failed.

        format: "auto" (JSON for a .json file, YAML otherwise), "yaml" or "json".
        """
        raw_path = _path(path)
        out = ctypes.c_void_p()
        err = _native.Error()
        rc = _native.lib.ivrsm_machine_load_file(
            raw_path, _format_code(format), ctypes.byref(out), ctypes.byref(err)
        )
        if rc != 0:
            raise from_struct(rc, err, LoadError)
        return cls(out.value)

    @classmethod
    def from_string(cls, text, format="yaml", name=None):
        """Load a machine from a document in memory (str or bytes).

        format: "yaml", "json" or "auto" (JSON when it starts with '{').
        name: used in place of a file name in errors ("<buffer>" by default).
        """
        data = _document(text)
        out = ctypes.c_void_p()
        err = _native.Error()
        rc = _native.lib.ivrsm_machine_load_buffer(
            data,
            len(data),
            _format_code(format),
            _native.to_c(name, "name"),
            ctypes.byref(out),
            ctypes.byref(err),
        )
        if rc != 0:
            raise from_struct(rc, err, LoadError)
        return cls(out.value)

    @property
    def closed(self):
        return self._handle is None

    def handle(self):
        """The C machine; ValueError once closed. Another thread may close it at any time:
        give it to the library through _use(), which keeps it alive meanwhile."""
        if self._handle is None:
            raise ValueError(f"ivrsm: machine {self.name!r} is closed")
        return self._handle

    def _use(self, fn):
        """fn(handle) with the C machine kept alive during the call (ValueError once closed).

        A close() from another thread waits for the call to return; one from this thread
        (a callback of the call) takes effect once it has returned. A session takes its own
        reference during ivrsm_session_new(), so it runs on after the machine is closed.
        """
        with self._lock:
            handle = self.handle()
            self._users += 1
            try:
                return fn(handle)
            finally:
                self._users -= 1
                deferred = self._deferred_unref if self._users == 0 else None
                if deferred:
                    self._deferred_unref = None
                    self._unref(deferred)

    def session(
        self, call_id=None, session_id=None, ctx=None, clock=None, trace=None, limits=None
    ):
        """A new session (one call) on this machine; see ivrsm.Session."""
        from .session import Session

        return Session(
            self,
            call_id=call_id,
            session_id=session_id,
            ctx=ctx,
            clock=clock,
            trace=trace,
            limits=limits,
        )

    def phone_e164(self, number):
        """``number`` (a caller id: digits after an optional '+') in E.164 by this machine's
        numbering plan (phone_region, else its locale), as its phone collects read a keyed
        number; None when it is not a phone number there."""
        return phone_e164(number, machine=self)

    def close(self):
        """Drop this object's reference on the C machine. Idempotent. A session being
        created on it in another thread is created first."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ did not run
            return
        with lock:
            handle = getattr(self, "_handle", None)
            self._handle = None
            if handle and self._users:
                self._deferred_unref = handle
            elif handle:
                self._unref(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __repr__(self):
        state = " closed" if self._handle is None else ""
        return f"<ivrsm.Machine {self.name!r} version {self.version!r}{state}>"


def phone_e164(number, region=None, machine=None):
    """``number`` (digits after an optional '+') in E.164 by the numbering plan of locale
    ``region`` ("fr-FR", "en-US"...) or of ``machine``; None when it is not a phone number
    there. An unknown region raises ivrsm.Error (code ENOTFOUND)."""
    if not isinstance(number, str):
        raise TypeError(f"ivrsm: a phone number must be str, not {type(number).__name__}")
    if (region is None) == (machine is None):
        raise TypeError("ivrsm: phone_e164 needs a region or a machine")
    raw = _native.to_c(number, "number")
    out = ctypes.create_string_buffer(32)  # room for any E.164 number (IVRSM_E164_SIZE)
    if machine is not None:
        rc = machine._use(
            lambda handle: _native.lib.ivrsm_machine_phone_e164(handle, raw, out, len(out))
        )
    else:
        rc = _native.lib.ivrsm_phone_e164(_native.to_c(region, "region"), raw, out, len(out))
    if rc == _native.ENOTFOUND:
        raise from_code(rc, f"region {region!r}")
    return out.value.decode() if rc == 0 else None


def _diagnostics(out):
    lib = _native.lib
    try:
        found = []
        for i in range(lib.ivrsm_diagnostics_count(out)):
            d = lib.ivrsm_diagnostics_get(out, i).contents
            found.append(
                Diagnostic(
                    _native.SEVERITIES.get(d.severity, str(d.severity)),
                    d.line,
                    d.column,
                    _native.text(d.path) or "",
                    _native.text(d.rule) or "",
                    _native.text(d.message) or "",
                )
            )
        return found
    finally:
        lib.ivrsm_diagnostics_free(out)


def check(path, format="auto"):
    """Every error and warning of the machine in file ``path``, sorted by position.

    Returns a (possibly empty) list of Diagnostic; raises Error when the file
    cannot be read at all.
    """
    raw_path = _path(path)
    out = ctypes.c_void_p()
    rc = _native.lib.ivrsm_machine_check_file(raw_path, _format_code(format), ctypes.byref(out))
    if rc != 0:
        raise from_code(rc, f"cannot check {os.fspath(path)}")
    return _diagnostics(out.value)


def check_string(text, format="yaml", name=None):
    """Like check() for a document in memory."""
    data = _document(text)
    out = ctypes.c_void_p()
    rc = _native.lib.ivrsm_machine_check_buffer(
        data, len(data), _format_code(format), _native.to_c(name, "name"), ctypes.byref(out)
    )
    if rc != 0:
        raise from_code(rc, "cannot check the document")
    return _diagnostics(out.value)


__all__ = ["Machine", "Diagnostic", "check", "check_string"]
