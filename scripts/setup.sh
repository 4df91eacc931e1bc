#!/usr/bin/env bash
# npm run setup: JavaScript dependencies from the lockfile, plus the system packages the tests
# need (Python with PyTorch for models/, Chromium for Playwright). Installs them with apt when
# run as root on Debian; elsewhere says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

# .npmrc turns off onnxruntime-node's CUDA download; the variable does the same for npm
# versions that stop forwarding unknown .npmrc keys. An explicit choice (cuda12) still wins.
export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
npm ci

apt_packages=(python3-torch python3-numpy python3-pil python3-pytest python3-onnx python3-jsonschema chromium)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${apt_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
else
  missing=("${apt_packages[@]}")
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: system packages present (${apt_packages[*]})."
elif [ "$(id -u)" -eq 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing ${missing[*]} with apt-get."
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  cat <<MSG
setup: JavaScript dependencies are installed. The tests also need:
  - Python 3 at /usr/bin/python3 with torch, numpy, pillow, pytest, onnx and jsonschema
    (Debian/Ubuntu: sudo apt-get install ${apt_packages[*]/chromium/})
  - Chromium for the end-to-end tests (Debian: chromium; elsewhere set CHROMIUM_PATH)
Missing here: ${missing[*]}
MSG
fi
