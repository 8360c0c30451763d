#!/usr/bin/env bash
# Fails when a tracked C/C++ source is not clang-formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r f; do
  [[ -f "$f" ]] || continue
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then echo "not formatted: $f"; bad=1; fi
done < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.c')
exit $bad
