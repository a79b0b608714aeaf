"""The ctypes layouts of the package: generated from the header, and as the C compiler lays them out."""

import ctypes
import json
import os
import pathlib
import subprocess
import sys
import unittest

import support  # noqa: F401 - puts the package on sys.path

from ivrsm import _native

PROBE = os.environ.get("IVRSM_ABI_PROBE")


def ctypes_offsets(struct, prefix=""):
    """Offsets of every field of `struct`, nested structs flattened as "ask.dtmf"."""
    found = {}
    for name, kind in struct._fields_:
        offset = getattr(struct, name).offset
        if isinstance(kind, type) and issubclass(kind, ctypes.Structure):
            for inner, inner_offset in ctypes_offsets(kind).items():
                found[f"{prefix}{name}.{inner}"] = offset + inner_offset
        else:
            found[prefix + name] = offset
    return found


ROOT = pathlib.Path(__file__).resolve().parents[3]


class GeneratedTest(unittest.TestCase):
    def test_the_mirror_is_what_the_header_makes(self):
        # ivrsm/_abi.py is never written by hand: it cannot drift from ivrsm.h.
        made = subprocess.run(
            [sys.executable, ROOT / "bindings/python/gen_abi.py", ROOT / "include/ivrsm/ivrsm.h"],
            check=True, capture_output=True, text=True).stdout
        committed = (ROOT / "bindings/python/ivrsm/_abi.py").read_text(encoding="utf-8")
        self.assertEqual(committed, made, "run bindings/python/gen_abi.py after changing ivrsm.h")

    def test_versioned_structs_carry_their_size(self):
        for struct in (_native.Event, _native.Limits, _native.SessionOptions):
            self.assertEqual(struct().size, ctypes.sizeof(struct))


@unittest.skipUnless(PROBE, "IVRSM_ABI_PROBE is not set (meson test sets it)")
class AbiTest(unittest.TestCase):
    def test_layouts_match_the_header(self):
        out = subprocess.run([PROBE], check=True, capture_output=True, text=True).stdout
        c_layouts = json.loads(out)
        self.assertEqual(set(c_layouts), set(_native.STRUCTS))
        for name, struct in _native.STRUCTS.items():
            with self.subTest(struct=name):
                self.assertEqual(ctypes.sizeof(struct), c_layouts[name]["size"])
                self.assertEqual(ctypes_offsets(struct), c_layouts[name]["fields"])


if __name__ == "__main__":
    unittest.main()
