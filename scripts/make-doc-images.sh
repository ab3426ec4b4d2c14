#!/usr/bin/env bash
# Regenerates the pictures in docs/images/ (referenced from README.md and docs/PERFORMANCE.md "## Charts"):
# the bench chart of six models at 1 thread against ONNX Runtime, the profile chart of ResNet-50 and the optimized
# graph of SqueezeNet. Models are read in place from the shared test data (KERNO_TEST_DATA, default ../shared).
# Needs a Release build (dotnet build Kerno.slnx -c Release) and Graphviz for the graph (apt-get install graphviz).
# Timings vary with the machine's load: run it on a quiet machine. Takes about a minute.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="$(realpath -m "${KERNO_TEST_DATA:-$root/../shared}")"
cli="$root/artifacts/bin/Kerno.Cli/release/Kerno.Cli.dll"
out="$root/docs/images"
[ -f "$cli" ] || { echo "make-doc-images: build first: dotnet build Kerno.slnx -c Release" >&2; exit 2; }
[ -d "$data/onnx-tests/light" ] || { echo "make-doc-images: no test data at $data (set KERNO_TEST_DATA)" >&2; exit 2; }
command -v dot >/dev/null || { echo "make-doc-images: Graphviz 'dot' is needed for the graph (apt-get install graphviz)" >&2; exit 2; }
mkdir -p "$out"
kerno() { echo "+ kerno $*" >&2; dotnet "$cli" "$@"; }

light="$data/onnx-tests/light"
kerno bench "$light/test_resnet50" "$light/test_vgg19" "$light/test_squeezenet" "$light/test_shufflenet" \
  "$data/models/ultraface/test_version-RFB-320" "$data/models/zoo/mnist_8" \
  --threads 1 --runs 10 --warmup 2 --compare onnxruntime --plot "$out/bench-1thread.svg"
kerno profile "$light/test_resnet50" --threads 1 --runs 11 --top 10 --plot "$out/profile-resnet50.svg"
kerno inspect "$light/test_squeezenet" --dot "$out/inspect-squeezenet.svg" > /dev/null
rm -f "$out/inspect-squeezenet.dot"
ls -l "$out"
