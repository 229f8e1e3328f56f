#!/usr/bin/env bash
# Installs the independent implementations that tests check datadiet against: Debian's NumPy,
# PyTorch, torchvision and ONNX (for /usr/bin/python3). Tests that need one skip with a printed
# reason where it cannot be had, so a failed install here is reported, not fatal.
set -uo pipefail
want=(python3-numpy python3-torch python3-torchvision python3-onnx)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
  echo "setup-peers: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    echo "setup-peers: could not install ${missing[*]}; tests that need them will skip" >&2
else
  echo "setup-peers: missing ${missing[*]} (as root: apt-get install ${missing[*]}); tests that need them will skip" >&2
fi
exit 0
