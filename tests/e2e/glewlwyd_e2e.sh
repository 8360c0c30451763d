#!/bin/bash
# End-to-end: the real Glewlwyd 2.7.5 (Debian 12 package) with orgscim's module.
#
#   MODULE=build/plugin/glewlwyd/liborgscim_glewlwyd.so ORGSCIM_BIN=build/plugin/cli/orgscim \
#       tests/e2e/glewlwyd_e2e.sh
#
# Starts Glewlwyd on a free loopback port with an SQLite database and a config written here (temp
# dir), copies the module into a private plugin directory, creates the OIDC plugin, a confidential
# client and the orgscim instance through Glewlwyd's admin API, gets a client_credentials token,
# runs an Entra-style SCIM provisioning cycle through Glewlwyd's port, checks the provisioned user in
# Glewlwyd's user store (and that it can sign in), invites a Glewlwyd user who then signs in to
# Glewlwyd (authorization code flow) and accepts with Glewlwyd's access token (another Glewlwyd
# user's token is refused), disables/re-enables the instance, restarts Glewlwyd and checks nothing
# was lost. The procedure and its traps: shared/reference/glewlwyd.md §8.
#
# Exit codes: 0 pass, 1 fail, 77 skipped (Glewlwyd not installed and CI is not "true").
# KEEP=1 keeps the work directory for inspection.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "== $*"; }

: "${MODULE:?MODULE must name the built liborgscim_glewlwyd.so}"
: "${ORGSCIM_BIN:?ORGSCIM_BIN must name the built orgscim program (creates the org and its secret)}"
[ -f "$MODULE" ] || fail "module not found: $MODULE"
[ -x "$ORGSCIM_BIN" ] || fail "orgscim program not found: $ORGSCIM_BIN"

missing=""
for tool in glewlwyd sqlite3 curl jq openssl; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
schema=/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3
if [ -n "$missing" ]; then
    msg="missing:$missing. Install (as root): echo 'glewlwyd glewlwyd/config_type select No configuration' | debconf-set-selections && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends glewlwyd dbconfig-no-thanks sqlite3 curl jq openssl"
    if [ "${CI:-}" = "true" ]; then fail "$msg"; fi
    echo "SKIP: $msg"
    exit 77
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/orgscim-glewlwyd-e2e.XXXXXX")
GPID=""
stop_glewlwyd() {
    if [ -n "$GPID" ] && kill -0 "$GPID" 2>/dev/null; then
        kill "$GPID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$GPID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$GPID" 2>/dev/null || true
    fi
    GPID=""
}
cleanup() {
    local rc=$?
    stop_glewlwyd
    if [ $rc -ne 0 ]; then
        echo "--- glewlwyd.log (last 40 lines) ---" >&2
        tail -n 40 "$W/glewlwyd.log" 2>/dev/null >&2 || true
        tail -n 20 "$W/stdout.log" 2>/dev/null >&2 || true
    fi
    if [ "${KEEP:-0}" = "1" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT

# shellcheck source=free_port.sh
. "$(dirname "$0")/free_port.sh"
PORT=$(free_port) || fail "no free loopback port"
BASE="http://127.0.0.1:$PORT"
API="$BASE/api"
J='Content-Type: application/json'
SJ='Content-Type: application/scim+json'

# call METHOD URL [BODY [extra curl args...]]: body to $W/out, status on stdout. Admin calls send
# the session cookie; SCIM calls add their own Authorization.
call() {
    local method=$1 url=$2 body=${3-}
    shift 3 2>/dev/null || shift $#
    local args=(-sS -o "$W/out" -w '%{http_code}' -X "$method" -b "$W/cookies" "$@")
    if [ -n "$body" ]; then args+=(--data-binary "$body"); fi
    curl "${args[@]}" "$url"
}
expect() {  # expect STATUS METHOD URL [BODY [curl args...]]
    local want=$1; shift
    local got
    got=$(call "$@")
    [ "$got" = "$want" ] || fail "$1 $2: HTTP $got, expected $want: $(head -c 600 "$W/out")"
}
admin() { expect 200 "$1" "$API/$2" "${3-}" -H "$J"; }
# wait_user USER JQ_FILTER EXPECTED: the module mirrors users asynchronously; poll Glewlwyd's
# admin API (up to 10 s) until the user's record matches. EXPECTED "absent" waits for a 404.
wait_user() {
    local got="" code
    for _ in $(seq 100); do
        code=$(call GET "$API/user/$1" "")
        if [ "$3" = absent ]; then
            [ "$code" = 404 ] && return 0
        elif [ "$code" = 200 ]; then
            got=$(jq -r "$2" "$W/out")
            [ "$got" = "$3" ] && return 0
        fi
        sleep 0.1
    done
    fail "Glewlwyd user $1: $2 is '$got' (HTTP $code), expected '$3'"
}
# sign_in USER PASSWORD: HTTP status of a fresh login (its own cookie jar: logging in with the
# admin's cookie would switch the admin session to that user).
sign_in() {
    curl -sS -o /dev/null -w '%{http_code}' -H "$J" -c "$W/user-cookies" \
        --data-binary "{\"username\":\"$1\",\"password\":\"$2\"}" "$API/auth/"
}
# claims JWT: the decoded payload.
claims() {
    local p
    p=$(cut -d. -f2 <<<"$1" | tr '_-' '/+')
    while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
    base64 -d <<<"$p"
}
# person_token USER PASSWORD: signs USER in to Glewlwyd as a person would (login, consent, the
# authorization code flow of the OIDC plugin for the invite-app client) and leaves the access
# token in PERSON_AT. Not a $(...) helper, so fail stops the test.
REDIRECT=https://app.e2e.test/callback
person_token() {
    local jar="$W/person-cookies" code loc
    rm -f "$jar"
    code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$jar" -H "$J" \
        --data-binary "$(jq -n --arg u "$1" --arg p "$2" '{username:$u, password:$p}')" "$API/auth/")
    [ "$code" = 200 ] || fail "$1 cannot sign in to Glewlwyd (HTTP $code)"
    # The consent screen's call: the user grants the app the openid scope.
    code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$jar" -X PUT -H "$J" \
        --data-binary '{"scope":"openid"}' "$API/auth/grant/invite-app")
    [ "$code" = 200 ] || fail "$1 cannot grant invite-app the openid scope (HTTP $code)"
    # g_continue: the login page's "continue" (without it Glewlwyd redirects to its login page).
    loc=$(curl -sS -o /dev/null -w '%{redirect_url}' -b "$jar" -G "$API/oidc/auth" \
        --data-urlencode response_type=code --data-urlencode client_id=invite-app \
        --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode scope=openid \
        --data-urlencode nonce=n-e2e --data-urlencode state=s-e2e \
        --data-urlencode resource=https://scim.test/v2 --data-urlencode g_continue=)
    case "$loc" in "$REDIRECT?"*state=s-e2e*) ;; *) fail "authorization for $1: redirected to '$loc'" ;; esac
    code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$loc")
    [ -n "$code" ] || fail "no authorization code for $1: $loc"
    curl -sS -o "$W/token.json" -u invite-app:app-s3cret -d grant_type=authorization_code \
        --data-urlencode "code=$code" --data-urlencode "redirect_uri=$REDIRECT" "$API/oidc/token"
    PERSON_AT=$(jq -r '.access_token // empty' "$W/token.json")
    [ -n "$PERSON_AT" ] || fail "no access token for $1: $(cat "$W/token.json")"
}

start_glewlwyd() {
    setsid /usr/bin/glewlwyd -c "$W/glewlwyd.conf" >"$W/stdout.log" 2>&1 </dev/null &
    GPID=$!
    for _ in $(seq 200); do
        curl -fsS "$BASE/config" >/dev/null 2>&1 && return 0
        if ! kill -0 "$GPID" 2>/dev/null; then
            local rc=0
            wait "$GPID" || rc=$?
            fail "glewlwyd exited during start-up (status $rc, port $PORT)"
        fi
        sleep 0.1
    done
    fail "glewlwyd did not answer on $BASE within 20 s"
}

note "work dir $W, port $PORT"
sqlite3 "$W/glewlwyd.db" <"$schema"
mkdir "$W/plugins"
# Copies, not symlinks: Glewlwyd loads only regular files (trap 2), from one directory (trap 3).
cp /usr/lib/glewlwyd/plugin/*.so "$W/plugins/"
cp "$MODULE" "$W/plugins/liborgscim_glewlwyd.so"

# No use_secure_connection line at all, not even =false (trap 5).
cat >"$W/glewlwyd.conf" <<EOF
port=$PORT
bind_address="127.0.0.1"
external_url="$BASE"
api_prefix="api"
log_mode="file"
log_file="$W/glewlwyd.log"
log_level="INFO"
admin_session_authentication="cookie,api_key"
login_api_enabled=true
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="$W/plugins"
hash_algorithm="SHA512"
database = { type = "sqlite3"; path = "$W/glewlwyd.db"; };
EOF

start_glewlwyd
grep -q "liborgscim_glewlwyd.so" "$W/glewlwyd.log" || fail "module not loaded"

note "admin session, scope, OIDC plugin, client"
expect 200 POST "$API/auth/" '{"username":"admin","password":"password"}' -H "$J" -c "$W/cookies"
admin POST scope/ '{"name":"scim","display_name":"SCIM provisioning","description":"SCIM API","password_required":false,"scheme":{}}'
openssl genrsa -out "$W/oidc-key.pem" 2048 2>/dev/null
openssl rsa -in "$W/oidc-key.pem" -pubout -out "$W/oidc-pub.pem" 2>/dev/null
jq -n --rawfile key "$W/oidc-key.pem" --rawfile cert "$W/oidc-pub.pem" --arg iss "$API/oidc" '{
  module:"oidc", name:"oidc", display_name:"OpenID Connect", enabled:true,
  parameters:{iss:$iss, "jwt-type":"rsa", "jwt-key-size":"256", key:$key, cert:$cert,
    "access-token-duration":3600, "refresh-token-duration":1209600, "code-duration":600,
    "refresh-token-rolling":true, "allow-non-oidc":true,
    "auth-type-client-enabled":true, "auth-type-code-enabled":true, "auth-type-refresh-enabled":true,
    "resource-allowed":true,
    "resource-scope":{scim:["https://scim.test/v2"], openid:["https://scim.test/v2"]},
    "additional-parameters":[{"user-parameter":"email","token-parameter":"email"},
                             {"user-parameter":"name","token-parameter":"name"}],
    scope:[{name:"scim","refresh-token-rolling":false}]}}' >"$W/oidc.json"
admin POST mod/plugin/ "@$W/oidc.json"
# Without a matching token_endpoint_auth_method the token endpoint answers 403 (trap 13).
admin POST client/ '{"client_id":"scim-client","name":"SCIM test client","confidential":true,"password":"s3cret","enabled":true,"authorization_type":["client_credentials"],"token_endpoint_auth_method":["client_secret_basic","client_secret_post"],"scope":["scim"],"redirect_uri":[]}'
# The application people sign in to (authorization code flow) before accepting an invitation.
admin POST client/ "{\"client_id\":\"invite-app\",\"name\":\"Invitation app\",\"confidential\":true,\"password\":\"app-s3cret\",\"enabled\":true,\"authorization_type\":[\"code\"],\"token_endpoint_auth_method\":[\"client_secret_basic\"],\"scope\":[],\"redirect_uri\":[\"$REDIRECT\"]}"

note "client_credentials token from Glewlwyd"
JWT=$(curl -fsS -u scim-client:s3cret -d grant_type=client_credentials -d scope=scim \
    -d resource=https://scim.test/v2 "$API/oidc/token" | jq -r .access_token)
[ "$(cut -d. -f1 <<<"$JWT" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .alg)" = "RS256" ] ||
    fail "no RS256 access token from Glewlwyd"

note "orgscim instance through the admin API"
jq -n --arg db "$W/orgscim.db" '{storage:{backend:"sqlite",sqlite:{path:$db}}}' >"$W/orgscim.json"
# Every parameter error comes back at once (G_ERROR_PARAM + list); a bad instance never starts.
jq -n '{module:"orgscim",name:"scimbad",display_name:"bad",enabled:true,
        parameters:{storage:{backend:"mysql"},glewlwyd:{bogus:1}}}' >"$W/bad.json"
expect 400 POST "$API/mod/plugin/" "@$W/bad.json" -H "$J"
grep -q 'glewlwyd.bogus' "$W/out" && grep -q 'storage.backend' "$W/out" ||
    fail "init did not list every parameter error: $(cat "$W/out")"
expect 404 GET "$API/scimbad/healthz"
# Glewlwyd keeps the record of an instance whose init failed; remove it.
admin DELETE mod/plugin/scimbad

# The organization first (orgscim CLI, same database): the instance trusts Glewlwyd's OIDC plugin
# as an issuer bound to it, so Glewlwyd's client_credentials JWTs provision this organization, and
# people signed in to Glewlwyd accept invitations with their access tokens. Glewlwyd cannot emit
# email_verified and its users cannot edit their own email: trust_email says its emails count.
ORG=$("$ORGSCIM_BIN" orgs create --name e2e --json --config "$W/orgscim.json" | jq -r .id)
[ -n "$ORG" ] || fail "could not create an organization"
jq -n --slurpfile cfg "$W/orgscim.json" --arg org "$ORG" --arg iss "$API/oidc" '{module:"orgscim",
    name:"scim", display_name:"orgscim", enabled:true,
    parameters:($cfg[0] + {glewlwyd:{sync_users:true,user_scopes:["g_profile","openid"]},
      oidc:{issuers:[{org:$org, issuer:$iss, jwks_uri:($iss + "/jwks"), allow_http:true,
        trust_email:true,
        audiences:["https://scim.test/v2"], allowed_algs:["RS256"], typ:["JWT","at+jwt"],
        allow_missing_typ:true, jwks_retry_s:2}]}})}' >"$W/instance.json"
admin POST mod/plugin/ "@$W/instance.json"
SCIM="$API/scim/scim/v2"
expect 200 GET "$API/scim/healthz"
expect 200 GET "$SCIM/ServiceProviderConfig"
grep -q "$API/scim/scim/v2" "$W/out" || fail "meta.location does not use Glewlwyd's external URL"

note "provisioning secret (orgscim CLI, same database)"
SECRET=$("$ORGSCIM_BIN" tokens create --org "$ORG" --name e2e --json --config "$W/orgscim.json" |
    jq -r .secret)
[ -n "$ORG" ] && [ -n "$SECRET" ] || fail "could not create an organization and a secret"
expect 401 GET "$SCIM/Users"
# Both credentials work; the cycle below runs with Glewlwyd's JWT.
expect 200 GET "$SCIM/Users" "" -H "Authorization: Bearer $SECRET"
expect 200 GET "$SCIM/Users" "" -H "Authorization: Bearer $JWT"
note "Glewlwyd's RS256 client_credentials JWT accepted"
AUTH=(-H "Authorization: Bearer $JWT")

note "SCIM provisioning cycle through Glewlwyd's port"
user_json() {  # user_json USERNAME EXTERNAL_ID
    jq -n --arg u "$1" --arg e "$2" '{schemas:["urn:ietf:params:scim:schemas:core:2.0:User"],
        userName:$u, externalId:$e, active:true, displayName:"E2E \($e)", password:"Pa55-word!",
        name:{givenName:"E2E",familyName:$e}, emails:[{value:$u,type:"work",primary:true}]}'
}
expect 201 POST "$SCIM/Users" "$(user_json alice@e2e.test a-1)" "${AUTH[@]}" -H "$SJ"
ALICE=$(jq -r .id "$W/out")
expect 201 POST "$SCIM/Users" "$(user_json bob@e2e.test b-2)" "${AUTH[@]}" -H "$SJ"
BOB=$(jq -r .id "$W/out")
expect 409 POST "$SCIM/Users" "$(user_json alice@e2e.test a-1)" "${AUTH[@]}" -H "$SJ"
expect 200 GET "$SCIM/Users?filter=userName%20eq%20%22alice%40e2e.test%22" "" "${AUTH[@]}"
[ "$(jq -r '.totalResults' "$W/out")" = 1 ] || fail "filter by userName: $(cat "$W/out")"
[ "$(jq -r '.Resources[0].id' "$W/out")" = "$ALICE" ] || fail "filter returned the wrong user"
patch='{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"Alice Renamed"}]}'
expect 200 PATCH "$SCIM/Users/$ALICE" "$patch" "${AUTH[@]}" -H "$SJ"
[ "$(jq -r .displayName "$W/out")" = "Alice Renamed" ] || fail "PATCH not applied"

note "provisioned users in Glewlwyd's user store"
wait_user alice@e2e.test .name "Alice Renamed"
wait_user alice@e2e.test .enabled true
wait_user alice@e2e.test .email alice@e2e.test
[ "$(sign_in alice@e2e.test 'Pa55-word!')" = 200 ] || fail "provisioned user cannot sign in"
disable='{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}'
expect 200 PATCH "$SCIM/Users/$BOB" "$disable" "${AUTH[@]}" -H "$SJ"
wait_user bob@e2e.test .enabled false
[ "$(sign_in bob@e2e.test 'Pa55-word!')" = 401 ] || fail "disabled user can still sign in"
expect 204 DELETE "$SCIM/Users/$BOB" "" "${AUTH[@]}"
expect 404 GET "$SCIM/Users/$BOB" "" "${AUTH[@]}"
wait_user bob@e2e.test . absent

note "invitation to a Glewlwyd user, accepted after signing in to Glewlwyd"
# Carol has a Glewlwyd account only (created by Glewlwyd's admin); orgscim has never seen her.
admin POST user/ '{"username":"carol@e2e.test","name":"Carol Invitee","email":"carol@e2e.test","enabled":true,"scope":["g_profile","openid"],"password":"Carol-pa55!"}'
ADMIN=(-H "Authorization: Bearer $SECRET")
expect 201 POST "$SCIM/Invitations" '{"kind":"member","email":"carol@e2e.test","sendEmail":false}' \
    "${ADMIN[@]}" -H "$SJ"
INV=$(jq -r .id "$W/out")
LINK=$(jq -r .link "$W/out")
[ "$(jq -r .status "$W/out")" = pending ] || fail "new invitation: $(cat "$W/out")"
case "$LINK" in "$API/scim/invitations/"?*) ;; *) fail "invitation link not on Glewlwyd's URL: $LINK" ;; esac
expect 200 GET "$LINK"
[ "$(jq -r .email "$W/out")" = carol@e2e.test ] || fail "invitation view: $(cat "$W/out")"

person_token carol@e2e.test 'Carol-pa55!'
CAROL_AT=$PERSON_AT
# What Glewlwyd 2.7.5 puts in a person's access token: email (additional-parameters), never
# email_verified.
claims "$CAROL_AT" >"$W/carol-claims.json"
[ "$(jq -r '.email + " " + .scope + " " + .aud' "$W/carol-claims.json")" = "carol@e2e.test openid https://scim.test/v2" ] ||
    fail "person token claims: $(cat "$W/carol-claims.json")"
jq -e '(.sub | length > 0) and (has("email_verified") | not)' "$W/carol-claims.json" >/dev/null ||
    fail "person token claims: $(cat "$W/carol-claims.json")"
person_token alice@e2e.test 'Pa55-word!'
ALICE_AT=$PERSON_AT

# A person's token is no provisioning credential, and accepting needs a person.
expect 403 GET "$SCIM/Users" "" -H "Authorization: Bearer $CAROL_AT"
expect 401 POST "$LINK/accept" '{}' -H "$J"
expect 401 POST "$LINK/accept" '{}' -H "$J" "${ADMIN[@]}"
# Another Glewlwyd user, properly signed in: refused, and the invitation stays pending.
expect 403 POST "$LINK/accept" '{}' -H "$J" -H "Authorization: Bearer $ALICE_AT"
[ "$(jq -r .errorCode "$W/out")" = wrongAccount ] || fail "wrong account: $(cat "$W/out")"
expect 200 GET "$SCIM/Invitations/$INV" "" "${ADMIN[@]}"
[ "$(jq -r .status "$W/out")" = pending ] || fail "refused accept changed the invitation"

expect 200 POST "$LINK/accept" '{}' -H "$J" -H "Authorization: Bearer $CAROL_AT"
[ "$(jq -r '.status + " " + .organization' "$W/out")" = "accepted $ORG" ] ||
    fail "accept: $(cat "$W/out")"
expect 404 POST "$LINK/accept" '{}' -H "$J" -H "Authorization: Bearer $CAROL_AT"
expect 200 GET "$SCIM/Invitations/$INV" "" "${ADMIN[@]}"
[ "$(jq -r .status "$W/out")" = accepted ] || fail "invitation after accept: $(cat "$W/out")"
expect 200 GET "$SCIM/Users?filter=userName%20eq%20%22carol%40e2e.test%22" "" "${AUTH[@]}"
[ "$(jq -r .totalResults "$W/out")" = 1 ] || fail "carol is no User of the organization: $(cat "$W/out")"
CAROL=$(jq -r '.Resources[0].id' "$W/out")
# The new User is her Glewlwyd account (same username), and the mirror's writes to it (the
# accept's create, then this rename) keep her password.
patch='{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Carol Member"}]}'
expect 200 PATCH "$SCIM/Users/$CAROL" "$patch" "${AUTH[@]}" -H "$SJ"
wait_user carol@e2e.test .name "Carol Member"
wait_user carol@e2e.test .enabled true
[ "$(sign_in carol@e2e.test 'Carol-pa55!')" = 200 ] || fail "carol cannot sign in after accepting"

note "disable / enable the instance"
admin PUT mod/plugin/scim/disable
expect 404 GET "$SCIM/Users/$ALICE" "" "${AUTH[@]}"
admin PUT mod/plugin/scim/enable
expect 200 GET "$SCIM/Users/$ALICE" "" "${AUTH[@]}"

note "restart Glewlwyd"
stop_glewlwyd
start_glewlwyd
# orgscim starts before Glewlwyd's OIDC plugin serves its JWKS: JWTs get 503 + Retry-After until
# the first fetch succeeds, and /readyz says when that is.
for _ in $(seq 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/scim/readyz")" = 200 ] && break
    sleep 0.2
done
expect 200 GET "$API/scim/readyz"
expect 200 GET "$SCIM/Users/$ALICE" "" "${AUTH[@]}"
[ "$(jq -r .displayName "$W/out")" = "Alice Renamed" ] || fail "data lost across restart"
expect 200 GET "$SCIM/Users/$CAROL" "" "${AUTH[@]}"
expect 200 GET "$SCIM/Invitations/$INV" "" "${ADMIN[@]}"
[ "$(jq -r .status "$W/out")" = accepted ] || fail "invitation lost across restart"
expect 200 POST "$API/auth/" '{"username":"admin","password":"password"}' -H "$J" -c "$W/cookies"
admin GET user/alice@e2e.test

note "remove the instance"
admin DELETE mod/plugin/scim
expect 404 GET "$SCIM/Users/$ALICE" "" "${AUTH[@]}"
kill -0 "$GPID" || fail "glewlwyd died"
note "PASS"
