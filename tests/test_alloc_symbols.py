#!/usr/bin/env python3
"""Every allocation of the library goes through an ivrsm_mem (include/ivrsm/ivrsm.h):
no object of the core or of the HTTP adapter calls the C library's allocator, or
returns jansson's (json_dumps), except where the exception is the point.

    test_alloc_symbols.py NM ARCHIVE...

Read from the symbols the objects leave undefined (`nm -u`), so that a direct
malloc() or strdup() added anywhere fails here, whichever test runs the code or not.
"""

import re
import subprocess
import sys

# The C library's ways to allocate or free, the system's mappings, and jansson's dump to a
# string it allocates.
FORBIDDEN = {
    "malloc", "calloc", "realloc", "reallocarray", "free", "strdup", "strndup", "aligned_alloc",
    "posix_memalign", "memalign", "valloc", "asprintf", "vasprintf", "open_memstream",
    "json_dumps", "mmap", "munmap",
}

# object (file name without the build's prefix) -> what it may call, and why.
ALLOWED = {
    # The default allocator: the C library's four functions, and posix_memalign for blocks
    # aligned to a cache line (ivrsm_mem_calloc_lines).
    "base_mem.c.o": {"malloc", "calloc", "realloc", "free", "posix_memalign"},
    # The pool of session blocks maps its chunks from the system (lib/base/pool.h).
    "base_pool.c.o": {"mmap", "munmap"},
    # libfyaml frees the scalars handed to its emitter, and the text it emits, with free().
    "document_convert.c.o": {"malloc", "free"},
}


def undefined(nm, archive):
    """{object: {symbol}} of what each object of the archive leaves undefined."""
    out = subprocess.run([nm, "-u", "-A", archive], check=True, capture_output=True,
                         text=True).stdout
    symbols = {}
    for line in out.splitlines():
        match = re.match(r".*?([^/:]+\.o):\s+U\s+(\S+)$", line)
        if match:
            symbols.setdefault(match[1], set()).add(match[2].split("@")[0])
    return symbols


def main():
    nm, archives = sys.argv[1], sys.argv[2:]
    failures = []
    objects = 0
    for archive in archives:
        for obj, symbols in sorted(undefined(nm, archive).items()):
            objects += 1
            for symbol in sorted(symbols & FORBIDDEN):
                if symbol not in ALLOWED.get(obj, set()):
                    failures.append(f"{archive}: {obj} calls {symbol}() (allocate through an "
                                    "ivrsm_mem: lib/base/mem.h)")
    if objects < 20:
        failures.append(f"only {objects} objects read: not the library's archives?")
    print("\n".join(failures) or f"{objects} objects allocate only through ivrsm_mem")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
