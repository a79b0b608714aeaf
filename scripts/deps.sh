# Sourced by scripts/test and scripts/demo: install the Debian packages the
# project needs when some are missing (on a fresh machine, as root or via
# sudo), configure and build, saying at each step what is going on.

# "== what happens now", on stderr so that it shows with any redirection of stdout.
ivrsm_step() {
    printf '== %s\n' "$*" >&2
}

# The number of parallel jobs: $JOBS, else the machine's cores.
ivrsm_jobs() {
    local jobs=${JOBS:-}
    if [ -z "$jobs" ]; then
        jobs=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
    fi
    if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
        echo "JOBS must be a positive number, not '$jobs'" >&2
        return 1
    fi
    echo "$jobs"
}

ivrsm_install_deps() {
    local pkgs=(meson ninja-build pkg-config gcc libc6-dev libfyaml-dev libjansson-dev
        libcurl4-openssl-dev check python3 python3-jsonschema python3-yaml graphviz curl
        redis-server libhiredis-dev)
    pkgs+=("$@")
    local missing=()
    local p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo=sudo
    fi
    ivrsm_step "Installing the Debian packages it needs: ${missing[*]}"
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >&2
}

# ivrsm_build BUILD_DIR JOBS MESON_ARGS [TARGET WHAT]: configure once (meson's
# report kept in BUILD_DIR/meson-logs, shown only when it fails), then build
# everything, or only TARGET (described as WHAT), with ninja's progress.
ivrsm_build() {
    local builddir=$1 jobs=$2 args=$3 target=${4:-} what=${5:-}
    if [ ! -f "$builddir/build.ninja" ]; then
        ivrsm_step "Configuring the build in $builddir (meson setup${args:+ $args})"
        local out
        # shellcheck disable=SC2086
        if ! out=$(meson setup "$builddir" $args 2>&1); then
            echo "$out" >&2
            return 1
        fi
    fi
    ivrsm_step "Building ${what:-libivrsm, the ivrsm tool and the tests} in $builddir ($jobs at a time)"
    # shellcheck disable=SC2086
    ninja -C "$builddir" -j "$jobs" $target >&2
}
