"""Paths and small helpers shared by the binding tests."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
TESTDATA = ROOT / "bindings" / "testdata"
MENU = TESTDATA / "menu.yaml"
DATES = TESTDATA / "dates.yaml"
LANGUAGES = TESTDATA / "languages.yaml"
AUDIO = TESTDATA / "audio.yaml"
WARNING = TESTDATA / "warning.yaml"
DANGLING = TESTDATA / "dangling.yaml"
SEED = ROOT / "examples" / "synergia_rdv" / "machine.yaml"
SEED_JSON = ROOT / "examples" / "synergia_rdv" / "machine.json"

# Run from the source tree without installing the package.
PACKAGE_DIR = str(HERE.parent)
if PACKAGE_DIR not in sys.path:
    sys.path.insert(0, PACKAGE_DIR)
os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")

# 2026-11-25T10:00:00+01:00 (a Wednesday), in milliseconds since the epoch.
NOW_MS = 1795597200000

MENU_CTX = {"site": "lyon", "api_token": "tok-abc", "pin_code": "9876"}


def types(commands):
    return [c["type"] for c in commands]


def only(commands, kind):
    """The single command of type ``kind`` in ``commands``."""
    found = [c for c in commands if c["type"] == kind]
    if len(found) != 1:
        raise AssertionError(f"expected one {kind} command in {types(commands)}")
    return found[0]
