#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Kerno's build and tests. Idempotent and quiet:
# does nothing when everything is present. Needs root (or sudo) only when something is missing.
# The OCR demo needs npm (once, to fetch its models: scripts/fetch-ocr-models.sh) and a font to render its
# test line (DejaVu Sans, fonts-dejavu-core).
set -euo pipefail

# clang + libclang-rt-14-dev: the libFuzzer harnesses (tests/fuzz/native) and the macOS / Windows assembly checks;
# valgrind: the memcheck runs of the C tests; gcc-mingw-w64-x86-64-win32: libkerno.dll for win-x64 (one 64-bit C
# compiler, not the whole mingw-w64 set); wine64: the win-x64 C tests (TestWin64) and package consumer (TestPackage).
packages=(cmake gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libonnx-testdata fonts-dejavu-core clang libclang-rt-14-dev valgrind
          gcc-mingw-w64-x86-64-win32 wine64)
# Optional: graphviz renders `kerno inspect --dot graph.svg` (without it the DOT file is written and a hint printed;
# no test needs it). A failed install of these does not fail the setup.
optional=(graphviz)
# Other systems (macOS, Windows, other Linux distributions) bring their own: see README, Prerequisites.
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup: not a Debian-based system; install cmake, a C compiler and the .NET 10 SDK yourself (README, Prerequisites)" >&2
  exit 0
fi
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
missing_optional=()
for p in "${optional[@]}"; do
  installed "$p" || missing_optional+=("$p")
done
# npm may come from another source than Debian's package (e.g. with a nodejs build that bundles it).
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && [ ${#missing_optional[@]} -eq 0 ] && exit 0

echo "setup: installing" "${missing[@]}" "${missing_optional[@]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    [ ${#missing[@]} -eq 0 ] && { echo "setup: optional ${missing_optional[*]} not installed (needs root or sudo)" >&2; exit 0; }
    echo "setup: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ${#missing_optional[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${missing_optional[@]}" >/dev/null ||
    echo "setup: optional ${missing_optional[*]} not installed (only kerno inspect --dot rendering needs it)" >&2
fi
