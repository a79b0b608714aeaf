"""Exceptions raised by the package, one class per thing a host handles differently."""

from . import _native


class Error(Exception):
    """A libivrsm call failed.

    ``code`` is the library's negative IVRSM_E* value (also exported as
    ``ivrsm.EDUPLICATE``...), ``code_name`` its name ("EDUPLICATE").
    """

    def __init__(self, code, message=None):
        self.code = code
        self.code_name = _native.CODE_NAMES.get(code, str(code))
        self.message = message or _native.strerror(code)
        super().__init__(self.message)


class LoadError(Error):
    """A machine could not be loaded: where (file, line, column, document path) and why."""

    def __init__(self, code, message, file="", line=0, column=0, path=""):
        super().__init__(code, message)
        self.file = file
        self.line = line
        self.column = column
        self.path = path

    def __str__(self):
        where = self.file or "<buffer>"
        if self.line:
            where += f":{self.line}:{self.column}"
        at = f" (at {self.path})" if self.path else ""
        return f"{where}: {self.message}{at}"


class DuplicateEvent(Error):
    """An event with this event_id was already fed; nothing happened."""


class StaleResult(Error):
    """A result named a command that is not pending; nothing happened."""


class UnexpectedEvent(Error):
    """The event does not fit what the session waits for (e.g. input during an http call)."""


class SessionEnded(Error):
    """The call is over; the session takes no more events."""


class StateError(Error):
    """A call out of order: feeding before start(), or starting twice."""


class SnapshotError(Error):
    """A snapshot is malformed or belongs to another machine or version."""


class OutOfMemory(Error, MemoryError):
    """The library (or this package, copying what it handed over) ran out of memory.

    Raised by every call, loads included, with ``code`` ENOMEM. A session that
    raised it from start() or a feed can only be closed (docs/runtime.md, "When
    memory runs out"): restore its last snapshot and feed the event again. One that
    raised it from next_command()/commands() keeps the command: the next call
    returns it. Also a MemoryError, so code that handles memory errors catches it.
    """


_BY_CODE = {
    _native.EDUPLICATE: DuplicateEvent,
    _native.ESTALE: StaleResult,
    _native.EUNEXPECTED: UnexpectedEvent,
    _native.EENDED: SessionEnded,
    _native.ESTATE: StateError,
    _native.ESNAPSHOT: SnapshotError,
    _native.ENOMEM: OutOfMemory,
}


def error_class(code):
    """The Error subclass raised for library code ``code``."""
    return _BY_CODE.get(code, Error)


def from_code(code, detail=None):
    """The exception for a failed call returning ``code``."""
    message = _native.strerror(code)
    if detail:
        message = f"{detail}: {message}"
    return error_class(code)(code, message)


def from_struct(code, err, cls=LoadError):
    """The exception for a call that returned ``code`` and filled in ``err``."""
    message = _native.text(err.message) or _native.strerror(code)
    if code == _native.ENOMEM:
        return OutOfMemory(code, message)
    if cls is LoadError:
        return LoadError(
            code,
            message,
            file=_native.text(err.file),
            line=err.line,
            column=err.column,
            path=_native.text(err.path),
        )
    return cls(code, message)
