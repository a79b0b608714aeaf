#!/usr/bin/env bash
# Install as a user would, into a prefix of its own that no linker
# configuration knows: configure and build this source tree again with
# --prefix under a temporary directory (the build being tested is left alone:
# its meson-logs/install-log.txt stays what the last real `meson install`
# wrote, so `ninja -C build uninstall` keeps working after the suite), then
#  - build tests/install/consumer.c against the installed library with
#    pkg-config and run it on a machine;
#  - build tests/install/http_consumer.c against the HTTP adapter alone, with
#    a run path to the prefix: the adapter finds libivrsm beside itself;
#  - run the installed `ivrsm` with no LD_LIBRARY_PATH, also after the whole
#    prefix was moved;
#  - check the static libraries' symbols and the tool's single core;
#  - uninstall, which must remove every file it installed.
# usage: test_install.sh BUILD_DIR SOURCE_DIR [SANITIZERS]
# SANITIZERS is the build's b_sanitize option: a sanitized library needs a
# sanitized program.
set -euo pipefail
build=$1
src=$2
sanitize=${3:-none}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# What the build's own install log says now (its absence included).
log="$build/meson-logs/install-log.txt"
log_state() {
    if [ -e "$log" ]; then
        sha256sum <"$log"
        stat -c %Y "$log"
    else
        echo absent
    fi
}
log_before=$(log_state)

prefix="$tmp/prefix"
options=(--prefix "$prefix" -Dtests=false --buildtype=debugoptimized)
extra=""
if [ "$sanitize" != none ] && [ -n "$sanitize" ]; then
    options+=("-Db_sanitize=$sanitize" -Db_lundef=false)
    extra="-fsanitize=$sanitize"
fi
meson setup "$tmp/build" "$src" "${options[@]}" >"$tmp/setup.log" 2>&1 || {
    cat "$tmp/setup.log" >&2
    fail "meson setup --prefix $prefix"
}
# What gets installed, and nothing else (no examples, no bindings' helpers).
targets=$(meson introspect "$tmp/build" --targets | python3 -c '
import json, os, sys
for t in json.load(sys.stdin):
    if t.get("installed"):
        print("\n".join(os.path.relpath(f, sys.argv[1]) for f in t["filename"]))' "$tmp/build")
[ -n "$targets" ] || fail "no installed target in the build"
# shellcheck disable=SC2086
ninja -C "$tmp/build" -j "${JOBS:-$(nproc)}" $targets >"$tmp/build.log" 2>&1 || {
    cat "$tmp/build.log" >&2
    fail "the build"
}
meson install -C "$tmp/build" --quiet --no-rebuild
installed() { # NAME: the installed file of that name
    local path
    path=$(find "$prefix" -name "$1" | head -n 1)
    [ -n "$path" ] || fail "$1 was not installed"
    echo "$path"
}

# --- A program of one's own, through pkg-config --------------------------------
export PKG_CONFIG_PATH=$(dirname "$(installed libivrsm.pc)")
flags=$(pkg-config --cflags --libs libivrsm)
echo "pkg-config libivrsm: $flags"
[ -f "$prefix/include/ivrsm/ivrsm.h" ] || fail "ivrsm/ivrsm.h was not installed"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror $extra -o "$tmp/consumer" "$src/tests/install/consumer.c" $flags
libdir=$(dirname "$(installed libivrsm.so)")
out=$(LD_LIBRARY_PATH=$libdir "$tmp/consumer" "$src/tests/fixtures/load/mini.yaml")
echo "$out"
expected="mini 2.1: 7 states, initial welcome, 4 diagnostics, 0 errors"
[ "$out" = "$expected" ] || fail "consumer: expected: $expected"
# The consumer really runs on the installed copy, not on the build tree.
# (ldd's output is kept first: with pipefail, grep -q closing the pipe early
# would fail the test whenever ldd is still writing.)
linked=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/consumer")
grep -q "$libdir/libivrsm.so" <<<"$linked" || fail "the consumer is not linked to the installed library: $linked"

# A program that uses the HTTP adapter only: its run path (DT_RUNPATH, which
# the dynamic linker does not apply to dependencies of dependencies) finds
# libivrsm-http; libivrsm-http's own run path must find libivrsm.
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror $extra -o "$tmp/http_consumer" "$src/tests/install/http_consumer.c" \
    -Wl,--as-needed -Wl,--enable-new-dtags,-rpath,"$libdir" $(pkg-config --cflags --libs libivrsm-http)
needed=$(readelf -d "$tmp/http_consumer")
if grep -q 'NEEDED.*\[libivrsm\.so' <<<"$needed"; then
    fail "http_consumer needs libivrsm itself: the case under test is gone"
fi
out=$(env -u LD_LIBRARY_PATH "$tmp/http_consumer" 2>&1) || fail "http_consumer: $out"
[ "$out" = "adapter ready, 0 in flight" ] || fail "http_consumer: $out"
linked=$(env -u LD_LIBRARY_PATH ldd "$tmp/http_consumer")
grep -q "libivrsm.so.0 => $libdir/" <<<"$linked" || fail "libivrsm-http did not find libivrsm beside it: $linked"
echo "a program of the HTTP adapter alone runs with a run path to $libdir"

# --- The installed tool ------------------------------------------------------------
run_tool() { # PREFIX: the installed ivrsm validates a machine, with no LD_LIBRARY_PATH
    local out rc=0
    out=$(env -u LD_LIBRARY_PATH "$1/bin/ivrsm" validate --quiet "$src/tests/fixtures/load/mini.yaml" 2>&1) || rc=$?
    [ "$rc" = 0 ] || fail "installed ivrsm (prefix $1) exited $rc: $out"
    grep -q "1 file checked: 0 errors" <<<"$out" || fail "installed ivrsm (prefix $1): $out"
}
run_tool "$prefix"
echo "the installed ivrsm runs from $prefix without LD_LIBRARY_PATH"
mv "$prefix" "$tmp/moved"
run_tool "$tmp/moved"
echo "and from the same tree moved elsewhere"
mv "$tmp/moved" "$prefix"

# The ivrsm tool holds one copy of the core: linked from the archives, it
# needs neither shared library.
needed=$(readelf -d "$prefix/bin/ivrsm")
if grep -q 'NEEDED.*libivrsm' <<<"$needed"; then
    echo "the ivrsm tool links a shared libivrsm beside its own copy of the core:" >&2
    grep 'NEEDED' <<<"$needed" >&2
    exit 1
fi

# Every global symbol of the installed static libraries carries the ivrsm_
# prefix, so that a program linking them statically cannot clash with them.
# AddressSanitizer adds an indicator __odr_asan.NAME beside a global NAME (a
# locale table): it is the sanitizer's, and NAME itself must be prefixed.
for archive in libivrsm.a libivrsm-http.a; do
    unprefixed=$(nm -g --defined-only "$(installed "$archive")" |
        awk 'NF == 3 && $3 !~ /^ivrsm_/ && $3 !~ /^__odr_asan\.ivrsm_/ { print $3 }')
    [ -z "$unprefixed" ] || fail "$archive defines global symbols without the ivrsm_ prefix: $unprefixed"
done
echo "static libraries prefixed; ivrsm holds one copy of the core"

# --- Uninstall ------------------------------------------------------------------
out=$(ninja -C "$tmp/build" uninstall 2>&1)
grep -q "^Failed: 0$" <<<"$out" || fail "uninstall: $out"
left=$(find "$prefix" ! -type d 2>/dev/null || true)
[ -z "$left" ] || fail "uninstall left files behind: $left"
echo "uninstalled: $(grep '^Deleted: [0-9]' <<<"$out")"

[ "$(log_state)" = "$log_before" ] || fail "the install log of $build was touched"
