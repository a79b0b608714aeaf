#!/usr/bin/env bash
# Install into a temporary DESTDIR, then build tests/install/consumer.c against
# the installed library with pkg-config and run it on a machine.
# usage: test_install.sh BUILD_DIR SOURCE_DIR [SANITIZERS]
# SANITIZERS is the build's b_sanitize option: a sanitized library needs a
# sanitized program.
set -euo pipefail
build=$1
src=$2
sanitize=${3:-none}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet

pc=$(find "$dest" -name libivrsm.pc | head -n 1)
if [ -z "$pc" ]; then
    echo "libivrsm.pc was not installed" >&2
    exit 1
fi
export PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs libivrsm)
echo "pkg-config libivrsm: $flags"
header=$(find "$dest" -path '*/include/ivrsm/ivrsm.h' | head -n 1)
[ -n "$header" ] || { echo "ivrsm/ivrsm.h was not installed" >&2; exit 1; }

extra=""
if [ "$sanitize" != none ] && [ -n "$sanitize" ]; then
    extra="-fsanitize=$sanitize"
fi
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror $extra -o "$dest/consumer" "$src/tests/install/consumer.c" $flags

libdir=$(dirname "$(find "$dest" -name 'libivrsm.so' | head -n 1)")
out=$(LD_LIBRARY_PATH=$libdir "$dest/consumer" "$src/tests/fixtures/load/mini.yaml")
echo "$out"
expected="mini 2.1: 7 states, initial welcome, 4 diagnostics, 0 errors"
if [ "$out" != "$expected" ]; then
    echo "expected: $expected" >&2
    exit 1
fi
# The consumer really runs on the installed copy, not on the build tree.
# (ldd's output is kept first: with pipefail, grep -q closing the pipe early
# would fail the test whenever ldd is still writing.)
linked=$(LD_LIBRARY_PATH=$libdir ldd "$dest/consumer")
if ! grep -q "$libdir/libivrsm.so" <<<"$linked"; then
    echo "the consumer is not linked to the installed library:" >&2
    echo "$linked" >&2
    exit 1
fi

# Every global symbol of the installed static libraries carries the ivrsm_
# prefix, so that a program linking them statically cannot clash with them.
for archive in libivrsm.a libivrsm-http.a; do
    path=$(find "$dest" -name "$archive" | head -n 1)
    [ -n "$path" ] || { echo "$archive was not installed" >&2; exit 1; }
    unprefixed=$(nm -g --defined-only "$path" | awk 'NF == 3 && $3 !~ /^ivrsm_/ { print $3 }')
    if [ -n "$unprefixed" ]; then
        echo "$archive defines global symbols without the ivrsm_ prefix:" >&2
        echo "$unprefixed" >&2
        exit 1
    fi
done

# The ivrsm tool holds one copy of the core: linked from the archives, it
# needs neither shared library.
tool=$(find "$dest" -path '*/bin/ivrsm' | head -n 1)
[ -n "$tool" ] || { echo "the ivrsm tool was not installed" >&2; exit 1; }
needed=$(readelf -d "$tool")
if grep -q 'NEEDED.*libivrsm' <<<"$needed"; then
    echo "the ivrsm tool links a shared libivrsm beside its own copy of the core:" >&2
    grep 'NEEDED' <<<"$needed" >&2
    exit 1
fi
echo "static libraries prefixed; ivrsm holds one copy of the core"
