#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <orgscim/oidc/base64url.hpp>
#include <orgscim/oidc/key_store.hpp>
#include <orgscim/oidc/verifier.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <token_signer.hpp>

#include "test_support.hpp"

namespace orgscim::oidc {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr std::int64_t t_now = 1'800'000'000;
const std::map<std::string, std::string> tenants{{"{A}", "aaaaaaaa-0000-4000-8000-00000000000a"},
                                                 {"{B}", "bbbbbbbb-0000-4000-8000-00000000000b"},
                                                 {"{C}", "cccccccc-0000-4000-8000-00000000000c"},
                                                 {"{D}", "dddddddd-0000-4000-8000-00000000000d"},
                                                 {"{E}", "eeeeeeee-0000-4000-8000-00000000000e"}};

std::string expand(std::string s) {
    for (const auto& [k, v] : tenants) {
        for (auto pos = s.find(k); pos != std::string::npos; pos = s.find(k)) s.replace(pos, 3, v);
    }
    // {repeat:N:text}
    for (auto pos = s.find("{repeat:"); pos != std::string::npos; pos = s.find("{repeat:")) {
        const auto c1 = s.find(':', pos + 8);
        const auto end = s.find('}', c1);
        const int n = std::stoi(s.substr(pos + 8, c1 - pos - 8));
        const std::string unit = s.substr(c1 + 1, end - c1 - 1);
        std::string rep;
        for (int i = 0; i < n; ++i) rep += unit;
        s.replace(pos, end - pos + 1, rep);
    }
    // %XX
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() + 0 &&
            std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

json::value expand_value(const json::value& v) {
    if (const auto* s = v.if_string()) {
        const std::string_view sv = *s;
        if (sv == "$now") return t_now;
        if (sv.starts_with("$now+")) return t_now + std::stoll(std::string(sv.substr(5)));
        if (sv.starts_with("$now-")) return t_now - std::stoll(std::string(sv.substr(5)));
        return json::string(expand(std::string(sv)));
    }
    if (const auto* a = v.if_array()) {
        json::array out;
        for (const auto& e : *a) out.push_back(expand_value(e));
        return out;
    }
    if (const auto* o = v.if_object()) {
        json::object out;
        for (const auto& kv : *o) out[kv.key()] = expand_value(kv.value());
        return out;
    }
    return v;
}

json::object merge(json::object base, const json::value* over) {
    if (!over) return base;
    for (const auto& kv : over->as_object()) {
        if (kv.value().is_null()) {
            base.erase(kv.key());
        } else {
            base[kv.key()] = expand_value(kv.value());
        }
    }
    return base;
}

struct keyring {
    std::map<std::string, signing_key> keys;
    keyring() {
        for (alg a : all_algs) {
            std::string kid(to_string(a));
            for (auto& c : kid) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            keys.emplace(kid, signing_key::generate(a, kid));
        }
        for (const char* k : {"entra-a", "entra-b", "mt", "mt-d", "stranger"})
            keys.emplace(k, signing_key::generate(alg::rs256, k));
    }
    const signing_key& at(const std::string& k) const { return keys.at(k); }
};

const keyring& ring() {
    static const keyring r;
    return r;
}

// Entra publishes keys without alg and (v2) with an issuer property.
json::object entra_jwk(const signing_key& k, const std::string& issuer) {
    auto o = k.public_jwk();
    o.erase("alg");
    if (!issuer.empty()) o["issuer"] = issuer;
    return o;
}

std::string ms(const std::string& path) { return "https://login.microsoftonline.com/" + path; }

void serve_all(testing::fake_fetcher& f) {
    const auto& r = ring();
    const std::string A = tenants.at("{A}"), B = tenants.at("{B}"), D = tenants.at("{D}");
    std::vector<signing_key> op;
    for (alg a : all_algs) {
        std::string kid(to_string(a));
        for (auto& c : kid) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        op.push_back(r.at(kid));
    }
    f.set("https://op.test/jwks", jwks_json(op));
    f.set(ms(A + "/v2.0/.well-known/openid-configuration"),
          json::serialize(json::object{{"issuer", ms(A + "/v2.0")},
                                       {"jwks_uri", ms(A + "/discovery/v2.0/keys")}}));
    f.set(ms(A + "/discovery/v2.0/keys"),
          json::serialize(
              json::object{{"keys", json::array{entra_jwk(r.at("entra-a"), ms(A + "/v2.0"))}}}));
    f.set(ms(B + "/.well-known/openid-configuration"),
          json::serialize(json::object{{"issuer", "https://sts.windows.net/" + B + "/"},
                                       {"jwks_uri", ms("common/discovery/keys")}}));
    f.set(ms("common/discovery/keys"),
          json::serialize(json::object{{"keys", json::array{entra_jwk(r.at("entra-b"), "")}}}));
    f.set(ms("organizations/v2.0/.well-known/openid-configuration"),
          json::serialize(json::object{{"issuer", ms("{tenantid}/v2.0")},
                                       {"jwks_uri", ms("common/discovery/v2.0/keys")}}));
    f.set(ms("common/discovery/v2.0/keys"),
          json::serialize(
              json::object{{"keys", json::array{entra_jwk(r.at("mt"), ms("{tenantid}/v2.0")),
                                                entra_jwk(r.at("mt-d"), ms(D + "/v2.0"))}}}));
    f.fail("https://down.test/jwks", errc::fetch_failed);
}

config make_config() {
    const std::string text = expand(R"({"issuers":[
      {"org":"org-op","issuer":"https://op.test","jwks_uri":"https://op.test/jwks",
       "audiences":["https://scim.test/v2"],
       "allowed_algs":["RS256","RS384","RS512","PS256","PS384","PS512","ES256","ES384","ES512","EdDSA"],
       "claims":{"permissions":{"read":["scim:read"],"write":["scim:write"],"admin":["scim:admin"]}}},
      {"org":"org-a","preset":"entra_v2","tenant":"{A}","audiences":["api://orgscim"],
       "allowed_algs":["RS256"],
       "claims":{"permissions":{"read":["SCIM.Read","SCIM.ReadWrite"],"write":["SCIM.ReadWrite"],"admin":[]}}},
      {"org":"org-b","preset":"entra_v1","tenant":"{B}","audiences":["api://orgscim"],
       "allowed_algs":["RS256"],"allowed_clients":["app-b"]},
      {"org":"org-c","preset":"entra_v2","tenant":"multi-tenant","tenants":["{C}","{D}"],
       "audiences":["api://orgscim"],"allowed_algs":["RS256"]},
      {"org":"org-down","issuer":"https://down.test","jwks_uri":"https://down.test/jwks",
       "audiences":["https://scim.test/v2"],"allowed_algs":["RS256"]}]})");
    config c;
    std::vector<std::string> errors;
    load_config(json::parse(text), "oidc", c, errors);
    EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
    return c;
}

json::object default_claims(const std::string& issuer) {
    const std::string A = tenants.at("{A}"), B = tenants.at("{B}"), C = tenants.at("{C}");
    if (issuer == "op" || issuer == "down") {
        return {{"iss", issuer == "op" ? "https://op.test" : "https://down.test"},
                {"sub", "user-1"},
                {"aud", "https://scim.test/v2"},
                {"exp", t_now + 600},
                {"iat", t_now},
                {"scope", "scim:read scim:write"},
                {"client_id", "c1"},
                {"jti", "j1"}};
    }
    json::object c{{"sub", "sub-x"},      {"aud", "api://orgscim"},
                   {"exp", t_now + 3600}, {"iat", t_now},
                   {"nbf", t_now},        {"roles", json::array{"SCIM.ReadWrite"}},
                   {"idtyp", "app"}};
    if (issuer == "entra_a") {
        c["iss"] = ms(A + "/v2.0");
        c["tid"] = A;
        c["oid"] = "oid-a";
        c["ver"] = "2.0";
        c["azp"] = "client-a";
    } else if (issuer == "entra_b") {
        c["iss"] = "https://sts.windows.net/" + B + "/";
        c["tid"] = B;
        c["oid"] = "oid-b";
        c["ver"] = "1.0";
        c["appid"] = "app-b";
    } else {
        c["iss"] = ms(C + "/v2.0");
        c["tid"] = C;
        c["oid"] = "oid-c";
        c["ver"] = "2.0";
        c["azp"] = "client-c";
    }
    return c;
}

std::string default_key(const std::string& issuer) {
    if (issuer == "entra_a") return "entra-a";
    if (issuer == "entra_b") return "entra-b";
    if (issuer == "entra_mt") return "mt";
    return "rs256";
}

struct segments {
    std::string h, p, s;
};
segments split(const std::string& t) {
    const auto d1 = t.find('.'), d2 = t.find('.', d1 + 1);
    return {t.substr(0, d1), t.substr(d1 + 1, d2 - d1 - 1), t.substr(d2 + 1)};
}
std::string join(const segments& s) { return s.h + "." + s.p + "." + s.s; }

constexpr std::string_view b64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string apply_mutation(const std::string& token, const std::string& m) {
    auto seg = split(token);
    const auto colon = m.find(':');
    const std::string op = m.substr(0, colon);
    const std::string arg = colon == std::string::npos ? "" : expand(m.substr(colon + 1));
    if (op == "sig_append") {
        seg.s += arg;
    } else if (op == "header_append") {
        seg.h += arg;
    } else if (op == "payload_append") {
        seg.p += arg;
    } else if (op == "payload_char0") {
        seg.p[0] = arg[0];
    } else if (op == "sig_truncate") {
        seg.s.resize(seg.s.size() - static_cast<std::size_t>(std::stoi(arg)));
    } else if (op == "sig_drop_bytes") {
        auto raw = *base64url_decode(seg.s);
        raw.resize(raw.size() - static_cast<std::size_t>(std::stoi(arg)));
        seg.s = base64url_encode(raw);
    } else if (op == "sig_set") {
        seg.s = arg;
        if (arg == "{other_sig}") seg.s = split(sign_compact(ring().at("rs256"), "{}", "{}")).s;
    } else if (op == "sig_zero") {
        seg.s = base64url_encode(std::string(base64url_decode(seg.s)->size(), '\0'));
    } else if (op == "sig_len_mod4_1") {
        while (seg.s.size() % 4 != 1) seg.s += "A";
    } else if (op == "sig_noncanonical") {
        auto& c = seg.s.back();
        c = b64_alphabet[b64_alphabet.find(c) | 1];
    } else if (op == "sig_to_der") {
        // r||s → a minimal DER SEQUENCE of two INTEGERs (both have their top bit clear here or
        // get a 0 prefix), the form EVP produces and JWS forbids.
        const auto raw = *base64url_decode(seg.s);
        auto integer = [](std::string v) {
            while (v.size() > 1 && v[0] == 0 && !(static_cast<unsigned char>(v[1]) & 0x80))
                v.erase(0, 1);
            if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(0, 1, '\0');
            return std::string("\x02") + static_cast<char>(v.size()) + v;
        };
        const auto body = integer(raw.substr(0, 32)) + integer(raw.substr(32));
        seg.s = base64url_encode(std::string("\x30") + static_cast<char>(body.size()) + body);
    } else if (op == "extra_segment") {
        return join(seg) + ".e30";
    } else if (op == "drop_signature") {
        seg.s.clear();
    } else {
        ADD_FAILURE() << "unknown mutation " << m;
    }
    return join(seg);
}

struct built {
    std::string token;
    std::string issuer;
};

built build(const json::object& row) {
    const auto str = [&](std::string_view k, std::string def) {
        const auto* v = row.if_contains(k);
        return v ? std::string(v->as_string()) : def;
    };
    built b;
    b.issuer = str("issuer", "op");
    if (const auto* raw = row.if_contains("token_raw")) {
        b.token = expand(std::string(raw->as_string()));
        return b;
    }
    const auto& key = ring().at(str("key", default_key(b.issuer)));
    json::object header{
        {"alg", std::string(to_string(key.algorithm()))}, {"typ", "JWT"}, {"kid", key.kid()}};
    header = merge(std::move(header), row.if_contains("header"));
    const auto claims = merge(default_claims(b.issuer), row.if_contains("claims"));
    const std::string htext = row.contains("header_raw")
                                  ? expand(std::string(row.at("header_raw").as_string()))
                                  : json::serialize(header);
    const std::string ptext = row.contains("claims_raw")
                                  ? expand(std::string(row.at("claims_raw").as_string()))
                                  : json::serialize(claims);
    const std::string sign = str("sign", "key");
    if (sign == "key") {
        alg as = key.algorithm();
        if (const auto* a = row.if_contains("sign_as")) as = *alg_from_string(a->as_string());
        b.token = sign_compact(key, htext, ptext, as);
    } else if (sign == "cpp-jwt") {
        b.token = mint_token(key, claims, std::string(header.at("typ").as_string()));
    } else if (sign == "garbage") {
        b.token = base64url_encode(htext) + "." + base64url_encode(ptext) + ".AAAA";
    } else if (sign == "hmac_public_pem") {
        b.token = hmac_compact(public_pem(key), htext, ptext);
    } else if (sign == "hmac_jwk") {
        b.token = hmac_compact(json::serialize(key.public_jwk()), htext, ptext);
    } else if (sign == "hmac_empty") {
        b.token = hmac_compact("", htext, ptext);
    } else {
        ADD_FAILURE() << "unknown sign mode " << sign;
    }
    for (const char* t : {"tamper_header", "tamper_claims"}) {
        if (const auto* over = row.if_contains(t)) {
            auto seg = split(b.token);
            if (std::string_view(t) == "tamper_header") {
                seg.h = base64url_encode(json::serialize(merge(header, over)));
            } else {
                seg.p = base64url_encode(json::serialize(merge(claims, over)));
            }
            b.token = join(seg);
        }
    }
    if (const auto* ms = row.if_contains("mutate")) {
        for (const auto& m : ms->as_array())
            b.token = apply_mutation(b.token, std::string(m.as_string()));
    }
    return b;
}

json::object load_fixture() {
    std::ifstream in(ORGSCIM_SOURCE_DIR "/tests/unit/oidc/fixtures/tokens.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str()).as_object();
}

class VerifierTest : public ::testing::Test {
  protected:
    VerifierTest() : cfg_(make_config()) { serve_all(fetcher_); }
    config cfg_;
    testing::fake_fetcher fetcher_;
    settable_clock clock_{time_point(std::chrono::seconds(t_now))};
};

TEST_F(VerifierTest, TokenTable) {
    verifier v(cfg_, fetcher_, clock_);
    const auto doc = load_fixture();
    const auto& rows = doc.at("rows").as_array();
    std::size_t negatives = 0;
    const auto& names = testing::errc_by_name();
    for (const auto& rv : rows) {
        const auto& row = rv.as_object();
        const std::string name(row.at("name").as_string());
        SCOPED_TRACE(name);
        const auto b = build(row);
        const std::string expect(row.at("expect").as_string());
        const auto status = row.at("status").as_int64();
        auto r = v.verify(b.token);
        if (expect == "ok") {
            ASSERT_TRUE(r) << "got " << to_string(r.error());
            EXPECT_EQ(status, 200);
            if (const auto* perms = row.if_contains("permissions")) {
                std::uint8_t want = 0;
                for (const auto& p : perms->as_array()) {
                    want |= p == "read" ? perm_read : p == "write" ? perm_write : perm_admin;
                }
                EXPECT_EQ(r->permissions, want);
            }
            if (const auto* k = row.if_contains("principal_key")) {
                EXPECT_EQ(r->key, expand(std::string(k->as_string())));
            }
        } else {
            ++negatives;
            ASSERT_TRUE(names.contains(expect)) << expect;
            ASSERT_FALSE(r) << "accepted";
            EXPECT_EQ(to_string(r.error()), to_string(names.at(expect)));
            EXPECT_EQ(http_status(r.error()), status);
        }
    }
    EXPECT_GE(negatives, 60u);
}

TEST_F(VerifierTest, PrincipalCarriesIdentityAndEntraClaims) {
    verifier v(cfg_, fetcher_, clock_);
    auto claims = default_claims("entra_a");
    claims["groups"] = json::array{"g1", "g2"};
    claims["email"] = "victim@example.com";
    claims["upn"] = "victim@example.com";
    const auto tok = mint_token(ring().at("entra-a"), claims);
    auto p = v.verify(tok);
    ASSERT_TRUE(p) << to_string(p.error());
    EXPECT_EQ(p->org, "org-a");
    EXPECT_EQ(p->tenant, tenants.at("{A}"));
    EXPECT_EQ(p->object_id, "oid-a");
    EXPECT_EQ(p->key, tenants.at("{A}") + "|oid-a");
    EXPECT_EQ(p->key.find("victim"), std::string::npos);
    EXPECT_EQ(p->client_id, "client-a");
    EXPECT_EQ(p->roles, std::vector<std::string>{"SCIM.ReadWrite"});
    EXPECT_EQ(p->groups, (std::vector<std::string>{"g1", "g2"}));
    EXPECT_EQ(p->expires_at, time_point(std::chrono::seconds(t_now + 3600)));
    EXPECT_TRUE(p->has(perm_read | perm_write));
    EXPECT_FALSE(p->has(perm_admin));
    // Entra lets users type any email: without xms_edov it proves nothing.
    EXPECT_EQ(p->email, "victim@example.com");
    EXPECT_FALSE(p->email_verified);
    claims["xms_edov"] = true;
    auto vouched = v.verify(mint_token(ring().at("entra-a"), claims));
    ASSERT_TRUE(vouched);
    EXPECT_TRUE(vouched->email_verified);
}

TEST_F(VerifierTest, EmailIsVerifiedOnlyWhenTheIssuerSaysSo) {
    verifier v(cfg_, fetcher_, clock_);
    auto claims = default_claims("op");
    claims["email"] = "carol@example.com";
    claims["name"] = "Carol";
    struct row {
        json::value flag;
        bool verified;
    };
    const std::vector<row> rows{{nullptr, false},
                                {true, true},
                                {false, false},
                                {"true", true},
                                {"yes", false},
                                {1, false},
                                {json::array{true}, false}};
    int jti = 0;
    for (const auto& r : rows) {
        SCOPED_TRACE(json::serialize(r.flag));
        claims["jti"] = "e" + std::to_string(++jti);
        if (r.flag.is_null())
            claims.erase("email_verified");
        else
            claims["email_verified"] = r.flag;
        auto p = v.verify(mint_token(ring().at("rs256"), claims));
        ASSERT_TRUE(p) << to_string(p.error());
        EXPECT_EQ(p->email, "carol@example.com");
        EXPECT_EQ(p->name, "Carol");
        EXPECT_EQ(p->email_verified, r.verified);
    }
    // No email, nothing verified, whatever the flag says.
    claims.erase("email");
    claims["email_verified"] = true;
    claims["jti"] = "e0";
    auto p = v.verify(mint_token(ring().at("rs256"), claims));
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->email_verified);
    // An email that is not a string is a malformed token.
    claims["email"] = 42;
    claims["jti"] = "e00";
    EXPECT_FALSE(v.verify(mint_token(ring().at("rs256"), claims)));
}

// trust_email (Glewlwyd cannot emit email_verified): the issuer's configuration vouches for
// `email`, but never for a missing email nor against an explicit email_verified: false; other
// issuers are unaffected.
TEST_F(VerifierTest, TrustEmailVouchesForTheIssuersEmailsOnly) {
    config c = cfg_;
    ASSERT_EQ(c.issuers[0].issuer, "https://op.test");
    c.issuers[0].trust_email = true;
    verifier v(c, fetcher_, clock_);
    struct row {
        json::value email;
        json::value flag;
        bool verified;
    };
    const std::vector<row> rows{{"carol@example.com", nullptr, true},
                                {"carol@example.com", true, true},
                                {"carol@example.com", false, false},
                                {"carol@example.com", "false", false},
                                {nullptr, nullptr, false},
                                {nullptr, true, false}};
    int jti = 0;
    for (const auto& r : rows) {
        SCOPED_TRACE(json::serialize(r.email) + " " + json::serialize(r.flag));
        auto claims = default_claims("op");
        claims["jti"] = "t" + std::to_string(++jti);
        if (!r.email.is_null()) claims["email"] = r.email;
        if (!r.flag.is_null()) claims["email_verified"] = r.flag;
        auto p = v.verify(mint_token(ring().at("rs256"), claims));
        ASSERT_TRUE(p) << to_string(p.error());
        EXPECT_EQ(p->email_verified, r.verified);
    }
    // The same token, the issuer without trust_email: the email proves nothing.
    verifier plain(cfg_, fetcher_, clock_);
    auto claims = default_claims("op");
    claims["email"] = "carol@example.com";
    claims["jti"] = "t-plain";
    auto p = plain.verify(mint_token(ring().at("rs256"), claims));
    ASSERT_TRUE(p) << to_string(p.error());
    EXPECT_FALSE(p->email_verified);
}

TEST_F(VerifierTest, CachedResultLastsUntilMinOfExpAndFiveMinutes) {
    verifier v(cfg_, fetcher_, clock_);
    const auto tok = mint_token(ring().at("rs256"), default_claims("op"));
    ASSERT_TRUE(v.verify(tok));
    // The key disappears from the JWKS and the store picks that up: the cached result still
    // answers for up to five minutes, then the token is checked again and fails.
    fetcher_.set("https://op.test/jwks", jwks_json({ring().at("es256")}));
    clock_.advance(60s);
    ASSERT_FALSE(v.store_for(0).refresh());
    EXPECT_TRUE(v.verify(tok));
    clock_.advance(241s);
    auto r = v.verify(tok);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::unknown_kid);
}

TEST_F(VerifierTest, CacheNeverOutlivesExp) {
    verifier v(cfg_, fetcher_, clock_);
    auto claims = default_claims("op");
    claims["exp"] = t_now + 10;
    const auto tok = mint_token(ring().at("es256"), claims);
    ASSERT_TRUE(v.verify(tok));
    clock_.advance(71s);  // past exp + leeway
    auto r = v.verify(tok);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::expired);
}

TEST_F(VerifierTest, ReadyOnlyWhenEveryIssuerLoaded) {
    config c = cfg_;
    c.issuers.pop_back();  // the unreachable one
    verifier v(c, fetcher_, clock_);
    EXPECT_FALSE(v.ready());
    v.refresh_due_keys();
    EXPECT_TRUE(v.ready());

    verifier down(cfg_, fetcher_, clock_);
    down.refresh_due_keys();
    EXPECT_FALSE(down.ready());
    EXPECT_EQ(down.retry_after(), 30s);
    auto claims = default_claims("down");
    auto r = down.verify(mint_token(ring().at("rs256"), claims));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::keys_unavailable);
    EXPECT_EQ(http_status(r.error()), 503);
    EXPECT_TRUE(bearer_error(r.error()).empty());
}

TEST_F(VerifierTest, BackgroundRefreshLoadsKeysAndStops) {
    config c = cfg_;
    c.issuers.resize(1);
    verifier v(c, fetcher_);  // real clock
    v.start_background_refresh(10ms);
    for (int i = 0; i < 200 && !v.ready(); ++i) std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(v.ready());
    v.stop_background_refresh();
    v.stop_background_refresh();
}

// Property: no single-character edit, deletion, insertion or truncation of a valid token verifies
// (and none crashes). Deterministic seed so a failure reproduces.
TEST_F(VerifierTest, RandomEditsNeverVerify) {
    verifier v(cfg_, fetcher_, clock_);
    std::mt19937 rng(20261122);
    for (const char* kid : {"rs256", "es256", "eddsa", "ps256"}) {
        const auto good =
            sign_compact(ring().at(kid),
                         R"({"alg":")" + std::string(to_string(ring().at(kid).algorithm())) +
                             R"(","typ":"JWT","kid":")" + kid + "\"}",
                         json::serialize(default_claims("op")));
        ASSERT_TRUE(v.verify(good));
        const std::string chars = std::string(b64_alphabet) + ".=+/ \x80\xff";
        for (int i = 0; i < 1500; ++i) {
            std::string t = good;
            const auto pos = std::uniform_int_distribution<std::size_t>(0, t.size() - 1)(rng);
            const char c =
                chars[std::uniform_int_distribution<std::size_t>(0, chars.size() - 1)(rng)];
            switch (i % 4) {
                case 0:
                    t[pos] = c;
                    break;
                case 1:
                    t.erase(pos, 1);
                    break;
                case 2:
                    t.insert(pos, 1, c);
                    break;
                case 3:
                    t.resize(pos);
                    break;
            }
            if (t == good) continue;
            auto r = v.verify(t);
            ASSERT_FALSE(r) << kid << " edit " << i << " at " << pos << " accepted";
        }
    }
}

TEST_F(VerifierTest, ConcurrentVerification) {
    verifier v(cfg_, fetcher_, clock_);
    std::vector<std::string> tokens;
    for (int i = 0; i < 16; ++i) {
        auto claims = default_claims("op");
        claims["jti"] = "j" + std::to_string(i);
        tokens.push_back(mint_token(ring().at(i % 2 ? "rs256" : "es256"), claims));
    }
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int rep = 0; rep < 20; ++rep) {
                for (const auto& tok : tokens) ok += v.verify(tok).has_value() ? 1 : 0;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 4 * 20 * 16);
    EXPECT_EQ(fetcher_.count("https://op.test/jwks"), 1u);
}

}  // namespace
}  // namespace orgscim::oidc
