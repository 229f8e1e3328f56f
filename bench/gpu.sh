#!/usr/bin/env bash
# The one prepared device check (bench/gpu-bench.ts), one JSON object on stdout, no network:
# rendering stereo pairs/s at 256² for each --gl (swiftshader, egl, vulkan; the renderer each gave,
# render-only and end to end), training images/s of the benchmark encoder and PredNet on
# tfjs-node-gpu (when installed: deploy/Dockerfile.tfjs-gpu) and on WebGPU (Dawn over Vulkan), and
# PyTorch CUDA on the same models. Estimated 3-4 min at the defaults (not yet run on a GPU); sections that would start after
# --budget seconds (default 420) are skipped, so it stays under 8 minutes. Needs Node ≥ 20 and
# node_modules from the README install (Chromium for the rendering part).
# Exits 0 when any figure came from a GPU, 2 when none did ("reasons" in the JSON says why).
#   bash bench/gpu.sh [--seconds N] [--budget S] [--render-size PX]
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
