#!/usr/bin/env bash
# Installs the Debian 12 packages that dynobs needs to build, run and test, when they are missing.
# Idempotent: a second run installs nothing. Runs as root on a fresh machine (CI); as a normal
# user it uses sudo when available, otherwise it names what is missing and stops.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libfmt-dev libcli11-dev zlib1g-dev libssl-dev
  libcurl4-openssl-dev libgrpc++-dev
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev  # logging_bench's baseline
  prometheus python3 python3-prometheus-client curl
  etcd-server etcd-client  # discovery tests start their own etcd on loopback ports
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done

# Node.js and npm run the OTLP decoder of the tests; a machine may already have them from another
# source (NodeSource), whose nodejs package would conflict with Debian's npm.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then sudo=(sudo); else
    echo "install-deps: missing packages (${missing[*]}); run this script as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The prometheus package enables a systemd unit on :9090 where systemd runs; dynobs's tests
# start their own server on free loopback ports and do not need it.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  "${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
# Likewise etcd-server's unit on :2379: the discovery tests start their own etcd.
if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
  "${sudo[@]}" systemctl disable --now etcd >/dev/null 2>&1 || true
fi
echo "install-deps: done"
