#!/usr/bin/env python3
"""Write fuzz_session inputs from readable event scripts.

fuzz_session decodes its bytes into events (see decode_event() in
fuzz_session.c). This tool does the reverse, so seeds and regression inputs
can be written by hand:

    session_script.py OUT.bin <<'EOF'
    # a comment line
    start 12
    dtmf 1
    keys 0612345678#
    say rendez-vous 0.9
    speech "any text" 1
    intent operator
    rawintent whatever
    noinput
    nomatch
    ok 1
    result pending 500 12
    rawresult pending 200 '{"a": 1}'
    handoff pending 0
    hangup
    checkpoint
    checkpoint-after
    dup 3
    noid
    EOF

dtmf picks one of dtmf_choices by value, keys any keys from 0-9 * # A-D;
say picks one of phrases, speech takes any text, both with an optional
confidence; intent picks one of intents, rawintent takes any name; ok is a
success for the pending command with canned body N (of the first eight);
result names the command (pending, next, zero, last or max), a status from
statuses and a body index (len(bodies) for none); rawresult gives the body
bytes; handoff gives the command and ok (0 or 1); checkpoint saves and
restores now, checkpoint-after after the next event, before its commands;
dup N makes the next event reuse the id of N events ago, noid gives it none;
start N, first, begins from starting point N (of the sessions saved along the
seed's paths, START_MARK + N as the first byte) instead of the welcome.

The string tables are read from fuzz_session.c, so they never drift.
"""
import re
import shlex
import sys
from pathlib import Path

SOURCE = Path(__file__).with_name("fuzz_session.c").read_text(encoding="utf-8")


def c_table(name):
    m = re.search(r"\b%s\[\]\s*=\s*\{(.*?)\};" % re.escape(name), SOURCE, re.S)
    if not m:
        sys.exit("table %s not found in fuzz_session.c" % name)
    body = re.sub(r"//[^\n]*|/\*.*?\*/", "", m.group(1), flags=re.S)
    # Adjacent literals concatenate; macros (TOKEN_MARKER) are expanded by hand.
    macros = dict(re.findall(r'#define (\w+) "([^"]*)"', SOURCE))
    items, current = [], None
    for tok in re.finditer(r'"((?:[^"\\]|\\.)*)"|(\w+)|(,)', body):
        lit, ident, comma = tok.groups()
        if comma:
            items.append(current)
            current = None
            continue
        text = lit.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") \
            if lit is not None else macros.get(ident)
        if text is None:
            continue
        current = (current or "") + text
    if current is not None:
        items.append(current)
    return items


def c_ints(name):
    m = re.search(r"\b%s\[\]\s*=\s*\{(.*?)\};" % re.escape(name), SOURCE, re.S)
    return [int(x) for x in re.findall(r"-?\d+", m.group(1))]


DTMF = c_table("dtmf_choices")
PHRASES = c_table("phrases")
INTENTS = c_table("intents")
BODIES = c_table("bodies")
STATUSES = c_ints("statuses")
KEYS = "0123456789*#ABCD"
START_MARK = int(re.search(r"#define START_MARK (0x[0-9A-Fa-f]+)", SOURCE).group(1), 16)
ID_SELECT = {"pending": 0, "next": 4, "zero": 5, "last": 6, "max": 7}


def index_of(table, value, what):
    if value not in table:
        sys.exit("unknown %s %r" % (what, value))
    return table.index(value)


def confidence(arg):
    return 255 if arg is None else round(float(arg) * 254)


def raw(text, limit):
    data = text.encode("utf-8")[:limit]
    return bytes([len(data)]) + data


def encode(lines):
    out = bytearray()
    id_mode = 0  # 0: fresh id, 1: none, 2: duplicate
    dup_back = 0
    for line in lines:
        if line.lstrip().startswith("#"):
            continue  # a comment line ("#" elsewhere is a key)
        words = shlex.split(line)
        if not words:
            continue
        op, args = words[0], words[1:]
        if op == "start":
            if out:
                sys.exit("start must come first")
            out.append(START_MARK + int(args[0]))
            continue
        if op == "noid":
            id_mode = 1
            continue
        if op == "dup":
            id_mode, dup_back = 2, int(args[0])
            continue
        if op in ("checkpoint", "checkpoint-after"):
            out += bytes([11, 1 if op == "checkpoint-after" else 0])
            continue
        kind, payload = {
            "keys": lambda: (0, bytes([len(args[0])]) + bytes(KEYS.index(c) for c in args[0])),
            "dtmf": lambda: (1, bytes([index_of(DTMF, args[0] if args else "", "dtmf")])),
            "say": lambda: (2, bytes([index_of(PHRASES, args[0], "phrase"),
                                      confidence(args[1] if len(args) > 1 else None)])),
            "speech": lambda: (3, raw(args[0], 255) +
                               bytes([confidence(args[1] if len(args) > 1 else None)])),
            "intent": lambda: (4, bytes([index_of(INTENTS, args[0] if args else "", "intent")])),
            "rawintent": lambda: (15, raw(args[0], 64)),
            "noinput": lambda: (5, b""),
            "nomatch": lambda: (6, b""),
            "result": lambda: (7, bytes([ID_SELECT[args[0]],
                                         index_of(STATUSES, int(args[1]), "status"),
                                         int(args[2])])),
            "rawresult": lambda: (7, bytes([ID_SELECT[args[0]],
                                            index_of(STATUSES, int(args[1]), "status"),
                                            len(BODIES)]) + raw(args[2], 255)),
            "ok": lambda: (8, bytes([int(args[0]) if args else 0])),
            "handoff": lambda: (9, bytes([ID_SELECT[args[0]], int(args[1])])),
            "hangup": lambda: (10, b""),
        }.get(op, lambda: sys.exit("unknown event %r" % op))()
        out.append(kind | (id_mode << 4))
        out += payload
        if id_mode == 2:
            out.append(dup_back - 1)
        id_mode = 0
    return bytes(out)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: session_script.py OUT < SCRIPT")
    Path(sys.argv[1]).write_bytes(encode(sys.stdin.read().splitlines()))


if __name__ == "__main__":
    main()
