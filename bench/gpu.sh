#!/usr/bin/env bash
# GPU training throughput in one go (a few minutes, no network): tfjs on the best GPU backend that
# starts (tfjs-node-gpu if installed, else WebGPU through the `webgpu` package's Dawn over Vulkan)
# and PyTorch CUDA on the same models. Needs Node ≥ 20 and node_modules from the README install.
# Prints one JSON object on stdout; exits 0 when a GPU figure was measured, 2 when none could be.
#   bash bench/gpu.sh [--seconds N]
set -uo pipefail
cd "$(dirname "$0")/.."
fail() {
  # JSON string: escape backslashes and quotes (messages quote commands and paths).
  printf '{"error": "%s"}\n' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
  echo "bench/gpu.sh: $1" >&2
  exit 2
}
command -v node >/dev/null || fail "node not found: install Node 20+ (or put a carried node binary on PATH)"
[ -d node_modules/@tensorflow/tfjs ] || fail "node_modules missing: run the README install first"
# Dawn loads the Vulkan loader (libvulkan.so.1); NVIDIA's driver provides the ICD it finds.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  echo "bench/gpu.sh: note: no libvulkan.so.1 here, so WebGPU (Dawn) will find no adapter (Debian: apt-get install libvulkan1)" >&2
fi
exec node bin/run-ts.js bench/gpu-bench.ts "$@"
