#!/usr/bin/env bash
# Optional: installs the PyTorch CPU peer that `npm run bench` compares tfjs-wasm training with
# (Debian/Ubuntu, as root). Without it the bench prints SKIP for those two targets.
set -euo pipefail
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "PyTorch already importable by /usr/bin/python3: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
  exit 0
fi
apt-get update
apt-get install -y python3-torch
/usr/bin/python3 -c 'import torch; print("PyTorch", torch.__version__, "installed")'
