#!/usr/bin/env bash
# Installs the peers the benchmark harness compares against (numpy and
# PyTorch from Debian's packages).  Benchmarks only: the library, its tests
# and CI do not need them.  bench/peers.py skips a missing peer with a
# message, so this step is optional.
set -euo pipefail
pkgs=(python3-numpy python3-torch)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "bench deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "bench deps: need root to apt-get install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
