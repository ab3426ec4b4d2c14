#!/usr/bin/env bash
# Builds and tests Kerno through Cake: ./build.sh [--target=Build|Test|TestArm64|Pack|...]
# Installs missing prerequisites first (idempotent), then restores the pinned Cake tool.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet tool restore >/dev/null
exec dotnet cake build.cake "$@"
