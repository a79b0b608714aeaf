"""Python bindings of libivrsm: run IVR (phone voice menu) state machines.

    import ivrsm
    m = ivrsm.Machine.load("machine.yaml")
    with m.session(call_id="c-1") as s:
        s.start()
        for c in s.commands():
            print(c["type"], c.get("text"))  # an ask of recordings alone has no text
        s.feed_dtmf("1")

The library is found through IVRSM_LIBRARY (path of libivrsm.so), then in a
meson build directory of the source tree, then on the system.
"""

from . import _native
from ._native import (
    EDUPLICATE,
    EENDED,
    EINVAL,
    EIO,
    ELIMIT,
    EMACHINE,
    ENOMEM,
    ENOTFOUND,
    ESNAPSHOT,
    ESTALE,
    ESTATE,
    ESYNTAX,
    EUNEXPECTED,
)
from .errors import (
    DuplicateEvent,
    Error,
    LoadError,
    OutOfMemory,
    SessionEnded,
    SnapshotError,
    StaleResult,
    StateError,
    UnexpectedEvent,
)
from .machine import Diagnostic, Machine, check, check_string, phone_e164
from .session import Session


def library_version():
    """The version of the libivrsm actually loaded, as "MAJOR.MINOR.PATCH"."""
    return _native.lib.ivrsm_version().decode()


# The package is released with the library, whose version meson.build holds.
__version__ = library_version()



def library_path():
    """The file the C library was loaded from."""
    return _native.lib._name


__all__ = [
    "Machine",
    "Session",
    "Diagnostic",
    "check",
    "check_string",
    "phone_e164",
    "library_version",
    "library_path",
    "Error",
    "LoadError",
    "OutOfMemory",
    "DuplicateEvent",
    "StaleResult",
    "UnexpectedEvent",
    "SessionEnded",
    "StateError",
    "SnapshotError",
    "EINVAL",
    "ENOMEM",
    "EIO",
    "ESYNTAX",
    "EMACHINE",
    "ELIMIT",
    "EDUPLICATE",
    "ESTALE",
    "EENDED",
    "ESTATE",
    "ESNAPSHOT",
    "ENOTFOUND",
    "EUNEXPECTED",
]
