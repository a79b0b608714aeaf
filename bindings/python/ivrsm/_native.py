"""The C library behind the package: where it is found and how it is called.

Everything here mirrors include/ivrsm/ivrsm.h; the rest of the package never
touches ctypes structures directly, it copies what it needs out of them.
"""

import ctypes
import ctypes.util
import json
import os
from pathlib import Path

from ._abi import *  # noqa: F401,F403 - the header's enums and structures
from ._abi import STRUCTS, Diagnostic, Error, Event, Limits, SessionOptions, Command


def _named(prefix):
    """{value: "name"} of one enum of the header, e.g. COMMAND_SAY -> {1: "say"}."""
    from . import _abi

    return {
        value: name[len(prefix):].lower()
        for name, value in vars(_abi).items()
        if name.startswith(prefix) and isinstance(value, int)
    }


FORMATS = {name: value for value, name in _named("FORMAT_").items()}
COMMAND_TYPES = _named("COMMAND_")
PART_TYPES = _named("PART_")
SEVERITIES = _named("SEVERITY_")

# The major version this package was written against.
ABI_MAJOR = 0


_P = ctypes.c_void_p
_PP = ctypes.POINTER(ctypes.c_void_p)
_ERR = ctypes.POINTER(Error)

# name: (restype, argtypes)
_PROTOTYPES = {
    "ivrsm_version": (ctypes.c_char_p, []),
    "ivrsm_version_num": (ctypes.c_int, []),
    "ivrsm_strerror": (ctypes.c_char_p, [ctypes.c_int]),
    "ivrsm_errname": (ctypes.c_char_p, [ctypes.c_int]),
    "ivrsm_machine_load_file": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_int, _PP, _ERR]),
    "ivrsm_machine_load_buffer": (
        ctypes.c_int,
        [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_char_p, _PP, _ERR],
    ),
    "ivrsm_machine_unref": (None, [_P]),
    "ivrsm_machine_name": (ctypes.c_char_p, [_P]),
    "ivrsm_machine_version": (ctypes.c_char_p, [_P]),
    "ivrsm_machine_state_count": (ctypes.c_size_t, [_P]),
    "ivrsm_machine_state_name": (ctypes.c_char_p, [_P, ctypes.c_size_t]),
    "ivrsm_machine_state_type": (ctypes.c_char_p, [_P, ctypes.c_size_t]),
    "ivrsm_machine_initial_state": (ctypes.c_size_t, [_P]),
    "ivrsm_machine_input_count": (ctypes.c_size_t, [_P]),
    "ivrsm_machine_input": (ctypes.POINTER(Input), [_P, ctypes.c_size_t]),
    "ivrsm_machine_check_file": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_int, _PP]),
    "ivrsm_machine_check_buffer": (
        ctypes.c_int,
        [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_char_p, _PP],
    ),
    "ivrsm_diagnostics_count": (ctypes.c_size_t, [_P]),
    "ivrsm_diagnostics_get": (ctypes.POINTER(Diagnostic), [_P, ctypes.c_size_t]),
    "ivrsm_diagnostics_file": (ctypes.c_char_p, [_P]),
    "ivrsm_diagnostics_free": (None, [_P]),
    "ivrsm_free": (None, [_P]),
    "ivrsm_session_new": (ctypes.c_int, [_P, ctypes.POINTER(SessionOptions), _PP, _ERR]),
    "ivrsm_session_start": (ctypes.c_int, [_P]),
    "ivrsm_session_feed": (ctypes.c_int, [_P, ctypes.POINTER(Event)]),
    "ivrsm_session_next_command": (ctypes.POINTER(Command), [_P]),
    "ivrsm_command_to_json": (_P, [ctypes.POINTER(Command)]),
    "ivrsm_session_ended": (ctypes.c_int, [_P]),
    "ivrsm_session_state": (ctypes.c_char_p, [_P]),
    "ivrsm_session_input_is_secret": (ctypes.c_int, [_P]),
    "ivrsm_session_input_collect": (ctypes.c_char_p, [_P]),
    "ivrsm_phone_e164": (
        ctypes.c_int,
        [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t],
    ),
    "ivrsm_machine_phone_e164": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t],
    ),
    # Strings the caller must free come back as raw pointers, not c_char_p,
    # so that ctypes does not lose the address before ivrsm_free() sees it.
    "ivrsm_session_ctx_json": (_P, [_P]),
    "ivrsm_session_snapshot": (ctypes.c_int, [_P, _PP]),
    "ivrsm_session_restore": (
        ctypes.c_int,
        [_P, ctypes.c_char_p, ctypes.POINTER(SessionOptions), _PP, _ERR],
    ),
    "ivrsm_session_free": (None, [_P]),
}


def _sanitized(build_dir):
    """Whether meson built `build_dir` with sanitizers: loading its library
    into an uninstrumented interpreter would abort the process."""
    try:
        with open(build_dir / "meson-info" / "intro-buildoptions.json", encoding="utf-8") as f:
            options = json.load(f)
    except (OSError, ValueError):
        return False
    return any(o.get("name") == "b_sanitize" and o.get("value") != "none" for o in options)


def _candidates():
    """Where to look for the library, in order, with why (for the error message)."""
    env = os.environ.get("IVRSM_LIBRARY")
    if env:
        # An explicit choice is never second-guessed by the other places.
        return [(env, "IVRSM_LIBRARY")]
    found = []
    # bindings/python/ivrsm/_native.py -> the source tree's root.
    root = Path(__file__).resolve().parents[3]
    builds = sorted(
        (p for p in root.glob("build*/lib/libivrsm.so") if not _sanitized(p.parents[1])),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    found += [(str(p), "build tree") for p in builds]
    system = ctypes.util.find_library("ivrsm")
    if system:
        found.append((system, "system"))
    return found


def _load():
    tried = []
    for path, origin in _candidates():
        try:
            handle = ctypes.CDLL(path)
        except OSError as exc:
            tried.append(f"{path} ({origin}): {exc}")
            continue
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(handle, name)
            fn.restype = restype
            fn.argtypes = argtypes
        major = handle.ivrsm_version_num() >> 16
        if major != ABI_MAJOR:
            raise ImportError(
                f"ivrsm: {path} is libivrsm {handle.ivrsm_version().decode()}, "
                f"this package needs {ABI_MAJOR}.x"
            )
        return handle
    detail = "; ".join(tried) if tried else "no candidate found"
    raise ImportError(
        "ivrsm: cannot load libivrsm (" + detail + "). Set IVRSM_LIBRARY to the "
        "path of libivrsm.so, build the library with meson, or install it."
    )


lib = _load()


def _codes():
    """The library's codes by name ("EINVAL": -1...), asked of ivrsm_errname()."""
    codes = {"OK": 0}
    code = -1
    while True:
        name = lib.ivrsm_errname(code)
        if name is None:
            return codes
        codes[name.decode()] = code
        code -= 1


CODES = _codes()
CODE_NAMES = {code: name for name, code in CODES.items()}
# OK, EINVAL, ENOMEM... as module constants (ivrsm.EDUPLICATE...).
globals().update(CODES)


def text(raw):
    """A C string from the library as str (None stays None)."""
    return None if raw is None else raw.decode("utf-8", "replace")


def to_c(value, what):
    """A Python str as the NUL-terminated UTF-8 the library expects."""
    if value is None:
        return None
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str):
        raw = value.encode("utf-8")
    else:
        raise TypeError(f"ivrsm: {what} must be a str, not {type(value).__name__}")
    if b"\0" in raw:
        raise ValueError(f"ivrsm: {what} contains a NUL character")
    return raw


def take_string(address):
    """Copy a string the library handed over to the caller, then free it."""
    if not address:
        from .errors import OutOfMemory  # errors imports this module

        raise OutOfMemory(CODES["ENOMEM"], "ivrsm: the library could not allocate a string")
    try:
        return ctypes.string_at(address).decode("utf-8", "replace")
    finally:
        lib.ivrsm_free(address)


def strerror(code):
    return lib.ivrsm_strerror(code).decode("utf-8", "replace")
