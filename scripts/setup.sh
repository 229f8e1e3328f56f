#!/usr/bin/env bash
# Installs what datadiet needs on a fresh machine: a Chromium for rendering (Debian's package when
# none is found and we may use apt-get), then the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

have_browser() {
  [[ -n "${DATADIET_BROWSER:-}" && -x "${DATADIET_BROWSER}" ]] && return 0
  for b in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
    [[ -x "$b" ]] && return 0
  done
  return 1
}

if ! have_browser; then
  if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
    echo "setup: no Chromium found; installing Debian's chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "setup: no Chromium found. Install one (Debian/Ubuntu: sudo apt-get install chromium)" >&2
    echo "       or point DATADIET_BROWSER at a Chrome/Chromium executable, then rerun." >&2
    exit 1
  fi
fi

# `--gl auto` renders through EGL: Mesa llvmpipe on CPU (faster than SwiftShader here, see
# BENCHMARKS.md), the vendor's EGL on a GPU node. Without these it falls back to SwiftShader.
if ! ldconfig -p 2>/dev/null | grep -q 'libEGL_mesa\.so\.0'; then
  if command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
    echo "setup: installing Mesa EGL (libegl1 libegl-mesa0 libgles2) for --gl egl/auto" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends libegl1 libegl-mesa0 libgles2 >/dev/null
  else
    echo "setup: note: no Mesa EGL; --gl auto will use SwiftShader (sudo apt-get install libegl1 libegl-mesa0 libgles2)" >&2
  fi
fi

# puppeteer-core never downloads a browser; npm ci installs exactly the lock file.
npm ci --no-audit --no-fund
