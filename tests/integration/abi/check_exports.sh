#!/bin/sh
# check_exports.sh LIB "sym1 sym2 ...": LIB's dynamic symbol table defines exactly these functions.
set -eu
lib=$1
want=$(printf '%s\n' $2 | sort)
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "W" || $2 == "i" { sub(/@.*/, "", $3); print $3 }' | sort -u)
if [ "$have" != "$want" ]; then
    echo "exported functions of $lib differ from the contract" >&2
    echo "expected:" >&2; echo "$want" >&2
    echo "actual:" >&2; echo "$have" >&2
    exit 1
fi
echo "$lib exports exactly: $(echo $want)"
