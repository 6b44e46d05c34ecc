#!/usr/bin/env bash
# Installs the Debian packages groundwork needs to build and test, only those missing.
# `install-deps.sh fuzz` adds clang and its libFuzzer/sanitizer runtimes for `make fuzz`
# (make test and make test-sanitize need only gcc); `install-deps.sh bench` adds ansible-core for
# `make bench`.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-graph1.81-dev
  libyaml-dev libssh2-1-dev libssl-dev libspdlog-dev libfmt-dev
  catch2 libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libc-ares-dev libmimalloc-dev libre2-dev ccache
  python3 python3-yaml openssh-server openssh-client procps openssl time
  iproute2 util-linux  # ip, unshare: each e2e test in a network namespace of its own
  etcd-server etcd-client systemd  # the etcd-restore drill; systemd-analyze for contrib/
  restic  # the restic-restore drill (Debian 12: restic 0.14.0)
  groff-base man-db bsdextrautils zsh bash-completion  # the man page and shell completion tests (col, man -l, zsh; bash-completion splits words at : as a shell does)
  tmux librsvg2-bin  # the live view test (a real terminal); the SVG test renders PNGs (rsvg-convert)
)
if [ "${1:-}" = fuzz ]; then packages+=(clang-14 libclang-rt-14-dev); fi
if [ "${1:-}" = bench ]; then packages+=(ansible-core make); fi  # make bench: bench/suite

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
