"""The ctypes layouts of the package against the C compiler's (tests/abi_probe.c)."""

import ctypes
import json
import os
import subprocess
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
