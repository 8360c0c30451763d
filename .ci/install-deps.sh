#!/usr/bin/env bash
# Installs what orgscim needs on Debian 12, by exact package name.
#   install-deps.sh build   compilers and libraries: enough to build and run the server
#   install-deps.sh test    build + everything the test suite starts for real (PostgreSQL,
#                           Glewlwyd, Chromium, the npm test tools)
set -euo pipefail
mode="${1:-test}"
cd "$(dirname "$0")/.."

build_pkgs=(
  cmake g++ make pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev libboost-url1.81-dev
  libboost-program-options1.81-dev
  libboost-context1.81-dev      # coroutines for reads that wait for PostgreSQL (docs/storage.md)
  libssl-dev libcurl4-gnutls-dev libsqlite3-dev libpq-dev libcpp-jwt-dev
  libulfius-dev libjansson-dev
  libjemalloc-dev               # the orgscim program's allocator (docs/performance.md)
)
test_pkgs=(
  clang-format libgtest-dev libgmock-dev libbenchmark-dev
  chromium                      # headless, for the invitee's page (tests/blackbox)
  postgresql sqlite3 curl jq openssl nodejs npm procps iproute2 psmisc
  glewlwyd dbconfig-no-thanks   # the real host for tests/e2e (docs/glewlwyd.md)
)

need=()
for p in "${build_pkgs[@]}" $([[ "$mode" == test ]] && echo "${test_pkgs[@]}"); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
# node/npm may come from elsewhere on the machine: only install Debian's when missing.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=(); for p in "${need[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  need=("${filtered[@]+"${filtered[@]}"}")
fi
if (( ${#need[@]} )); then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Glewlwyd's package asks which database to configure; the e2e test writes its own config.
  echo "glewlwyd glewlwyd/config_type select No configuration" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [[ "$mode" == test && -f tests/tools/package.json ]]; then
  # Test tools from npm (pinned in tests/tools/package-lock.json), chosen to run on Debian 12's
  # own nodejs (18.19): oidc-provider 8, smtp-server 3.19.7 (package.json "engines"). Say so
  # here rather than fail later inside a test when an older Node.js comes first in PATH.
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
                process.exit(a > 18 || (a === 18 && b >= 18) ? 0 : 1)' 2>/dev/null; then
    echo "the tests need Node.js >= 18.18 (found: $(node --version 2>/dev/null || echo none))" >&2
    exit 1
  fi
  (cd tests/tools && npm ci --no-audit --no-fund --loglevel=error)
fi
