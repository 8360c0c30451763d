#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <orgscim/oidc/base64url.hpp>
#include <orgscim/oidc/jwk.hpp>
#include <token_signer.hpp>

namespace orgscim::oidc {
namespace {

alg_set all() {
    alg_set s;
    for (alg a : all_algs) s.insert(a);
    return s;
}

std::string text(const boost::json::object& o) { return boost::json::serialize(o); }

TEST(Jwk, EveryAlgorithmRoundTripsThroughItsPublicJwk) {
    for (alg a : all_algs) {
        SCOPED_TRACE(std::string(to_string(a)));
        const auto key = signing_key::generate(a, "k");
        auto k = parse_jwk(text(key.public_jwk()), all());
        ASSERT_TRUE(k) << to_string(k.error());
        EXPECT_TRUE(k->algs.contains(a));
        // A JWK with alg is pinned to exactly that alg.
        for (alg other : all_algs) EXPECT_EQ(k->algs.contains(other), other == a);
        const std::string input = "header.payload";
        const auto tok = sign_compact(key, "{}", "{}");
        const auto sig = base64url_decode(tok.substr(tok.rfind('.') + 1));
        ASSERT_TRUE(sig);
        const auto signed_part = tok.substr(0, tok.rfind('.'));
        EXPECT_TRUE(verify_signature(*k, a, signed_part, *sig));
        EXPECT_FALSE(verify_signature(*k, a, signed_part + "x", *sig));
    }
}

TEST(Jwk, RsaWithoutAlgMayVerifyItsFamilyWithinTheAllowlist) {
    const auto key = signing_key::generate(alg::rs256, "k");
    auto jwk_obj = key.public_jwk();
    jwk_obj.erase("alg");
    alg_set allowed;
    allowed.insert(alg::rs256);
    allowed.insert(alg::ps256);
    allowed.insert(alg::es256);
    auto k = parse_jwk(text(jwk_obj), allowed);
    ASSERT_TRUE(k);
    EXPECT_TRUE(k->algs.contains(alg::rs256));
    EXPECT_TRUE(k->algs.contains(alg::ps256));
    EXPECT_FALSE(k->algs.contains(alg::es256));
    EXPECT_FALSE(k->algs.contains(alg::rs512));
}

TEST(Jwk, RejectsUnusableKeys) {
    const auto rsa = signing_key::generate(alg::rs256, "k").public_jwk();
    const auto ec = signing_key::generate(alg::es256, "e").public_jwk();
    auto expect_unusable = [&](boost::json::object o, const char* why) {
        SCOPED_TRACE(why);
        auto k = parse_jwk(text(o), all());
        ASSERT_FALSE(k);
        EXPECT_EQ(k.error(), errc::no_usable_keys);
    };
    {
        auto o = rsa;
        o["use"] = "enc";
        expect_unusable(o, "use enc");
    }
    {
        auto o = rsa;
        o["key_ops"] = boost::json::array{"sign"};
        expect_unusable(o, "key_ops without verify");
    }
    {
        auto o = rsa;
        o["d"] = "AQAB";
        expect_unusable(o, "private member");
    }
    {
        auto o = rsa;
        o["alg"] = "HS256";
        expect_unusable(o, "alg HS256");
    }
    {
        auto o = rsa;
        o["alg"] = "ES256";
        expect_unusable(o, "alg from another family");
    }
    {
        auto o = rsa;
        o["e"] = "Ag";  // even exponent
        expect_unusable(o, "even e");
    }
    {
        auto o = rsa;
        o["n"] = "AQAB";
        expect_unusable(o, "tiny modulus");
    }
    {
        auto o = rsa;
        o["kty"] = "oct";
        o["k"] = "c2VjcmV0";
        expect_unusable(o, "symmetric key");
    }
    {
        auto o = ec;
        // Flip one bit of y: the point leaves the curve.
        auto y = *base64url_decode(std::string_view(o["y"].as_string()));
        y[5] = static_cast<char>(y[5] ^ 1);
        o["y"] = base64url_encode(y);
        expect_unusable(o, "off-curve point");
    }
    {
        auto o = ec;
        o["crv"] = "P-384";
        o.erase("alg");
        expect_unusable(o, "coordinates of the wrong length for the curve");
    }
    {
        auto o = ec;
        o["crv"] = "secp256k1";
        o.erase("alg");
        expect_unusable(o, "unsupported curve");
    }
    {
        auto o = ec;
        o["x"] = "not base64!";
        expect_unusable(o, "bad base64 coordinate");
    }
    {
        alg_set only_rs;
        only_rs.insert(alg::rs256);
        auto o = ec;
        o.erase("alg");
        auto k = parse_jwk(text(o), only_rs);
        EXPECT_FALSE(k) << "curve alg outside the allowlist";
    }
    {
        const auto small = signing_key::generate(alg::rs256, "s", 1024).public_jwk();
        expect_unusable(small, "1024-bit RSA");
    }
}

TEST(Jwk, SetKeepsUsableKeysAndDropsAmbiguousKids) {
    const auto a = signing_key::generate(alg::rs256, "a");
    const auto b = signing_key::generate(alg::es256, "b");
    const auto b2 = signing_key::generate(alg::es256, "b");
    boost::json::array keys{a.public_jwk(),
                            b.public_jwk(),
                            b2.public_jwk(),
                            boost::json::object{{"kty", "oct"}, {"k", "AAAA"}},
                            42,
                            boost::json::object{{"kty", "EC"}, {"crv", "P-256"}}};
    auto set = parse_jwk_set(text(boost::json::object{{"keys", keys}}), all());
    ASSERT_TRUE(set);
    ASSERT_EQ(set->keys.size(), 1u);
    EXPECT_EQ(set->keys[0].kid, "a");
    EXPECT_EQ(set->find("b"), nullptr);
}

TEST(Jwk, SetErrors) {
    EXPECT_EQ(parse_jwk_set("[]", all()).error(), errc::bad_json);
    EXPECT_EQ(parse_jwk_set("{\"keys\":{}}", all()).error(), errc::bad_jwks);
    EXPECT_EQ(parse_jwk_set("{}", all()).error(), errc::bad_jwks);
    EXPECT_EQ(parse_jwk_set("{\"keys\":[]}", all()).error(), errc::no_usable_keys);
    EXPECT_EQ(parse_jwk_set("{\"keys\":[],\"keys\":[]}", all()).error(), errc::duplicate_member);
}

TEST(Jwk, Es256SignatureEdgeCases) {
    const auto key = signing_key::generate(alg::es256, "e");
    auto k = parse_jwk(text(key.public_jwk()), all());
    ASSERT_TRUE(k);
    const std::string input = "a.b";
    // CVE-2022-21449 "psychic signatures": r = s = 0.
    EXPECT_FALSE(verify_signature(*k, alg::es256, input, std::string(64, '\0')));
    // DER where raw r||s is expected.
    EXPECT_FALSE(verify_signature(*k, alg::es256, input, *base64url_decode("MAYCAQACAQA")));
    EXPECT_FALSE(verify_signature(*k, alg::es256, input, std::string(63, '\1')));
    EXPECT_FALSE(verify_signature(*k, alg::es256, input, std::string(65, '\1')));
    // n (the group order) as r and s: out of range.
    const std::string order = *base64url_decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE");
    EXPECT_FALSE(verify_signature(*k, alg::es256, input, order + order));
    // Pinned alg: the key refuses ES384 even with a well-formed 96-byte signature.
    EXPECT_FALSE(verify_signature(*k, alg::es384, input, std::string(96, '\1')));
}

TEST(Jwk, RsaSignatureOfWrongLengthIsRejectedBeforeOpenSsl) {
    const auto key = signing_key::generate(alg::rs256, "r");
    auto k = parse_jwk(text(key.public_jwk()), all());
    ASSERT_TRUE(k);
    const auto tok = sign_compact(key, "{}", "{}");
    auto sig = *base64url_decode(tok.substr(tok.rfind('.') + 1));
    const auto input = tok.substr(0, tok.rfind('.'));
    EXPECT_TRUE(verify_signature(*k, alg::rs256, input, sig));
    EXPECT_FALSE(verify_signature(*k, alg::rs256, input, std::string(1, '\0') + sig));
    EXPECT_FALSE(verify_signature(*k, alg::rs256, input, sig.substr(1)));
}

}  // namespace
}  // namespace orgscim::oidc
