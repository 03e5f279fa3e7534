# Shared by scripts/test.sh and scripts/demo.sh: install what is missing,
# configure and build. Source it; it defines functions and changes nothing.

HELIX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HELIX_JOBS=${HELIX_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Debian 12 packages the build, the tests and the demo use. LLVM/MLIR 22 come
# from bookworm-security (plain bookworm stops at 19). openssh-client: Open
# MPI's launcher refuses to start without an rsh agent, even on one node.
HELIX_APT_PACKAGES=(
  ca-certificates cmake ninja-build ccache git libc6-dev libstdc++-12-dev
  clang-22 lld-22 libclang-rt-22-dev llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  nlohmann-json3-dev libgtest-dev libgmock-dev
  python3 python3-numpy python3-venv pkg-config libpcre2-dev
  libopenmpi-dev openmpi-bin openssh-client libopenblas-pthread-dev
  gnuplot-nox
)

helix_log() { printf '==> %s\n' "$*" >&2; }

# Installs the packages above that are not installed yet; no apt run (and no
# network) when everything is present.
helix_install_deps() {
  local missing=()
  local pkg
  for pkg in "${HELIX_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    helix_log "all ${#HELIX_APT_PACKAGES[@]} packages present; skipping apt"
    return 0
  fi
  helix_log "installing: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}" >/dev/null
}

# The interpreter of the tests that need PyPI packages (the tokenizer's
# comparison with the Hugging Face library): a venv in BUILD_DIR/python over
# Debian's python3 (numpy stays apt's) with scripts/requirements-test.txt,
# pinned. pip runs only when the venv lacks that exact list.
helix_python_env() {
  local venv=$1/python
  local req=$HELIX_ROOT/scripts/requirements-test.txt
  if [ -x "$venv/bin/python" ] && cmp -s "$req" "$venv/requirements-test.txt"; then
    return 0
  fi
  helix_log "installing the test Python packages into $venv"
  mkdir -p "$1"
  /usr/bin/python3 -m venv --system-site-packages "$venv" &&
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" &&
    cp "$req" "$venv/requirements-test.txt"
}

# helix_configure BUILD_DIR [extra cmake args...]
helix_configure() {
  local dir=$1
  shift
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if [ ! -f "$dir/build.ninja" ] || [ "$#" -gt 0 ]; then
    helix_log "configuring $dir"
    mkdir -p "$dir"
    cmake -G Ninja -S "$HELIX_ROOT" -B "$dir" \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
      -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld \
      -DPython3_EXECUTABLE=/usr/bin/python3 -DHELIX_WERROR=ON \
      "${launcher[@]}" "$@" >"$dir/configure.log" ||
      { cat "$dir/configure.log" >&2; return 1; }
    # Say which optional backends are built (CUDA is skipped without nvcc).
    grep -E "helix runtime|not found" "$dir/configure.log" | sed 's/^-- /==> /' >&2 || true
  fi
}

# helix_build BUILD_DIR
helix_build() {
  helix_log "building $1 with $HELIX_JOBS jobs"
  cmake --build "$1" -j "$HELIX_JOBS"
}
