#!/usr/bin/env bash
# The dependency rule, enforced: scim/ and oidc/ never include each other or plugin/, and no
# transport or driver header appears in scim/ or in oidc's public headers.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
check() {  # check DIR REGEX WHY
  local hits
  hits=$(grep -rnE "$2" "$1" --include='*.hpp' --include='*.cpp' --include='*.h' || true)
  if [[ -n "$hits" ]]; then echo "forbidden include in $1 ($3):"; echo "$hits"; fail=1; fi
}
drivers='#include[[:space:]]*[<"](boost/beast|curl/|sqlite3\.h|libpq-fe\.h|ulfius\.h|jansson\.h|jwt/jwt\.hpp)'
check scim "$drivers" "no transport or driver in the SCIM engine"
check scim '#include[[:space:]]*[<"]orgscim/(oidc|plugin)/' "scim/ must not include oidc/ or plugin/"
check oidc '#include[[:space:]]*[<"]orgscim/(scim|plugin)/' "oidc/ must not include scim/ or plugin/"
check oidc/include "$drivers|#include[[:space:]]*[<\"]openssl/" "oidc public headers stay driver-free"
exit $fail
