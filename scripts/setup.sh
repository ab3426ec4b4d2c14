#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Kerno's build and tests. Idempotent and quiet:
# does nothing when everything is present. Needs root (or sudo) only when something is missing.
# The OCR demo needs npm (once, to fetch its models: scripts/fetch-ocr-models.sh) and a font to render its
# test line (DejaVu Sans, fonts-dejavu-core).
set -euo pipefail

# clang + libclang-rt-14-dev: the libFuzzer harnesses (tests/fuzz/native); valgrind: the memcheck runs of the C tests.
packages=(cmake gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libonnx-testdata fonts-dejavu-core clang libclang-rt-14-dev valgrind)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from another source than Debian's package (e.g. with a nodejs build that bundles it).
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
