# Sourced by scripts/test and scripts/demo: install the Debian packages the
# project needs when some are missing (on a fresh machine, as root or via sudo).
ivrsm_install_deps() {
    local pkgs=(meson ninja-build pkg-config gcc libc6-dev libfyaml-dev libjansson-dev
        libcurl4-openssl-dev check python3 python3-jsonschema python3-yaml graphviz curl)
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
    echo "Installing: ${missing[*]}" >&2
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >&2
}
