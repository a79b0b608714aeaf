#!/usr/bin/env python3
"""The bounds that docs/format.md and docs/runtime.md state are the code's.

- Every bound constant the two documents name (`IVRSM_MAX_DEPTH`,
  `lib/template/numtext.c`: `NUMTEXTS_MAX`...) is defined in the sources, and
  the number written next to it (before it in its table cell or sentence,
  or just after it in parentheses) is its value.
- Every public bound of include/ivrsm (IVRSM_MAX_*, IVRSM_HTTP_MAX_*,
  IVRSM_HTTP_DEFAULT_*) is named in one of the two documents.
- The ranges the loader takes for the globals' bounds
  (lib/compiler/compile_globals.c, limit_int) are the ones format.md gives.
- Every table row that names a bound states a unit.
"""
import glob
import os
import re
import sys

ROOT = os.environ.get("IVRSM_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
DOCS = ["docs/format.md", "docs/runtime.md"]
BOUND = re.compile(r"MAX|DEFAULT|_LEN\b|_CAP\b|DEPTH|BYTES|EVENTS|REPORTS|UINT16")
UNITS = re.compile(
    r"\b(bytes|levels|nodes|states|routes|headers|ids|numbers|digits|keys|days|weeks|"
    r"entries|transfers|ms|seconds|ranges|events|failures|verifications|deep|items)\b")
failures = []


def fail(msg):
    failures.append(msg)


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def collect_defines():
    """name -> {file: expression} over the public headers and the library."""
    defs = {}
    files = glob.glob(os.path.join(ROOT, "include/ivrsm/*.h"))
    files += glob.glob(os.path.join(ROOT, "lib/**/*.[ch]"), recursive=True)
    for path in files:
        rel = os.path.relpath(path, ROOT)
        with open(path, encoding="utf-8") as f:
            for m in re.finditer(r"^#define\s+([A-Z][A-Z0-9_]+)[ \t]+([^\n]+)", f.read(), re.M):
                expr = re.sub(r"/\*.*?(\*/|$)", "", m.group(2)).strip()
                defs.setdefault(m.group(1), {})[rel] = expr
    return defs


DEFS = collect_defines()


def value(name, where=None, seen=()):
    """The integer value of a constant (None when it is not a number)."""
    if name == "UINT16_MAX":
        return 65535
    if name not in DEFS or name in seen:
        return None
    cands = DEFS[name]
    if where:
        cands = {f: e for f, e in cands.items() if f.endswith(where)}
    exprs = set(cands.values())
    if len(exprs) != 1:
        return None
    expr = re.sub(r"\b(\d+)[uUlL]+\b", r"\1", exprs.pop())

    def sub(m):
        v = value(m.group(0), None, seen + (name,))
        if v is None:
            raise ValueError(m.group(0))
        return str(v)

    try:
        expr = re.sub(r"\b[A-Z][A-Z0-9_]+\b", sub, expr)
        if not re.fullmatch(r"[\d\s()+\-*/]+", expr):
            return None
        return int(eval(expr.replace("/", "//")))  # digits and operators only
    except (ValueError, SyntaxError):
        return None


NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\d,])|(?<![\w.,])\d+(?![\d,])")


def as_int(text):
    return int(text.replace(",", ""))


def check_constants(rel, text):
    """Each bound constant named: defined, and the number beside it is its value."""
    named = set()
    for m in re.finditer(r"`([A-Z][A-Z0-9_]+)`", text):
        name = m.group(1)
        if not BOUND.search(name) or name.startswith("IVRSM_E"):
            continue
        named.add(name)
        # The text of its table cell or sentence before it, and what follows it.
        start = max(text.rfind("|", 0, m.start()), text.rfind(". ", 0, m.start()),
                    text.rfind("\n\n", 0, m.start()))
        before = text[start + 1:m.start()]
        after = text[m.end():m.end() + 40]
        path = re.findall(r"`((?:lib|include)/[\w/]+\.[ch])`", before)
        v = value(name, path[-1] if path else None)
        line = text.count("\n", 0, m.start()) + 1
        if v is None:
            fail(f"{rel}:{line}: {name} is not a number defined once in the sources")
            continue
        numbers = NUMBER.findall(before)
        stated = as_int(numbers[-1]) if numbers else None
        if after.lstrip().startswith("− 1") or after.lstrip().startswith("- 1"):
            v -= 1
        follow = re.match(r"\s*\((\d[\d,]*)[^)]*\)", after)
        if stated != v and not (follow and as_int(follow.group(1)) == v):
            fail(f"{rel}:{line}: {name} is {v:,}, the text says {stated}")
    return named


def check_rows(rel, text):
    for i, row in enumerate(text.splitlines(), 1):
        if row.startswith("|") and re.search(r"`[A-Z][A-Z0-9_]*(MAX|DEFAULT)[A-Z0-9_]*`", row):
            if not UNITS.search(row):
                fail(f"{rel}:{i}: a bound without its unit: {row}")


def check_globals(text):
    """limit_int(c, "key", min, max, ...) against the range format.md gives for key."""
    src = read("lib/compiler/compile_globals.c")
    for m in re.finditer(r'limit_int\(c, "([\w.]+)", (\w+), (\w+),', src):
        key, lo, hi = m.group(1), m.group(2), m.group(3)
        lo = int(lo) if lo.isdigit() else value(lo)
        hi = int(hi) if hi.isdigit() else value(hi)
        rows = [r for r in text.splitlines()
                if r.startswith("|") and f"`{key}`" in r and " to " in r]
        if not rows:
            fail(f"docs/format.md: no range given for {key} ({lo} to {hi})")
            continue
        nums = [as_int(n) for n in NUMBER.findall(rows[0].split("|")[2])]
        if nums[:2] != [lo, hi]:
            fail(f"docs/format.md: {key} takes {lo} to {hi:,}, the table says {rows[0]}")


def main():
    named = set()
    for rel in DOCS:
        text = read(rel)
        named |= check_constants(rel, text)
        check_rows(rel, text)
    check_globals(read("docs/format.md"))
    for name, files in DEFS.items():
        public = any(f.startswith("include/") for f in files)
        if public and re.match(r"IVRSM_(MAX_|HTTP_MAX_|HTTP_DEFAULT_)", name) and name not in named:
            fail(f"{name} ({', '.join(files)}) is named in neither {' nor '.join(DOCS)}")
    for f in failures:
        print(f)
    print(f"{len(named)} bounds named in the docs checked against the code; "
          f"{len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
