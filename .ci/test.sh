#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, builds with -Werror, checks
# formatting and the include rules, and runs every ctest test (unit, integration, blackbox, e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"
bash .ci/install-deps.sh test
bash .ci/check-format.sh
bash .ci/check-includes.sh
build="${BUILD_DIR:-build/ci}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORGSCIM_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 600
