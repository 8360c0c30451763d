// cpp-jwt 1.4 uses EC_KEY APIs deprecated in OpenSSL 3; this file alone is built with
// -Wno-deprecated-declarations (CMake). Everything else here is OpenSSL 3 provider API.

#include "token_signer.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <boost/json.hpp>
#include <jwt/jwt.hpp>
#include <orgscim/oidc/base64url.hpp>
#include <stdexcept>

namespace orgscim::oidc {

struct signing_key::impl {
    EVP_PKEY* pkey = nullptr;
    alg a{};
    std::string kid;
    ~impl() { EVP_PKEY_free(pkey); }
};

namespace {

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("signer: ") + what);
}

bool is_rsa(alg a) {
    return a == alg::rs256 || a == alg::rs384 || a == alg::rs512 || a == alg::ps256 ||
           a == alg::ps384 || a == alg::ps512;
}
bool is_ps(alg a) { return a == alg::ps256 || a == alg::ps384 || a == alg::ps512; }

const char* curve_for(alg a) {
    switch (a) {
        case alg::es256:
            return "P-256";
        case alg::es384:
            return "P-384";
        case alg::es512:
            return "P-521";
        default:
            return nullptr;
    }
}

std::size_t coord_for_bits(int bits) { return static_cast<std::size_t>((bits + 7) / 8); }

const char* md_for(alg a) {
    switch (a) {
        case alg::rs256:
        case alg::ps256:
        case alg::es256:
            return "SHA256";
        case alg::rs384:
        case alg::ps384:
        case alg::es384:
            return "SHA384";
        case alg::rs512:
        case alg::ps512:
        case alg::es512:
            return "SHA512";
        case alg::eddsa:
            return nullptr;
    }
    return nullptr;
}

std::string bn_param(EVP_PKEY* k, const char* name, std::size_t pad = 0) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(k, name, &bn) != 1) fail("get_bn_param");
    std::string out(pad ? pad : static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
    BN_free(bn);
    return out;
}

std::string raw_sign(EVP_PKEY* pkey, alg as, std::string_view input) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    const char* md = md_for(as);
    if (EVP_DigestSignInit_ex(ctx, &pctx, md, nullptr, nullptr, pkey, nullptr) != 1) {
        EVP_MD_CTX_free(ctx);
        fail("DigestSignInit");
    }
    if (is_ps(as)) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    std::size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    if (EVP_DigestSign(ctx, nullptr, &len, in, input.size()) != 1) {
        EVP_MD_CTX_free(ctx);
        fail("DigestSign size");
    }
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) !=
        1) {
        EVP_MD_CTX_free(ctx);
        fail("DigestSign");
    }
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
        // DER → fixed-length R||S (RFC 7518 §3.4), sized by the key's curve.
        const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
        ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
        if (!es) fail("d2i_ECDSA_SIG");
        const std::size_t n = coord_for_bits(EVP_PKEY_get_bits(pkey));
        std::string raw(2 * n, '\0');
        BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()),
                     static_cast<int>(n));
        BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data() + n),
                     static_cast<int>(n));
        ECDSA_SIG_free(es);
        return raw;
    }
    return sig;
}

}  // namespace

signing_key signing_key::generate(alg a, std::string kid, int rsa_bits) {
    auto p = std::make_shared<impl>();
    p->a = a;
    p->kid = std::move(kid);
    if (is_rsa(a)) {
        p->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits));
    } else if (const char* crv = curve_for(a)) {
        p->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", crv);
    } else {
        p->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    }
    if (!p->pkey) fail("keygen");
    signing_key k;
    k.p_ = std::move(p);
    return k;
}

signing_key signing_key::from_pem(std::string_view pem, alg a, std::string kid) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!bio) fail("BIO");
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!pkey) fail("PEM_read_bio_PrivateKey");
    auto p = std::make_shared<impl>();
    p->pkey = pkey;
    p->a = a;
    p->kid = std::move(kid);
    const int id = EVP_PKEY_get_base_id(pkey);
    const bool ok = is_rsa(a)      ? id == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey) >= 2048
                    : curve_for(a) ? id == EVP_PKEY_EC
                                   : id == EVP_PKEY_ED25519;
    if (!ok) fail("key type does not match alg");
    signing_key k;
    k.p_ = std::move(p);
    return k;
}

alg signing_key::algorithm() const noexcept { return p_->a; }
const std::string& signing_key::kid() const noexcept { return p_->kid; }

boost::json::object signing_key::public_jwk() const {
    boost::json::object o;
    EVP_PKEY* k = p_->pkey;
    const int id = EVP_PKEY_get_base_id(k);
    if (id == EVP_PKEY_RSA) {
        o["kty"] = "RSA";
        o["n"] = base64url_encode(bn_param(k, OSSL_PKEY_PARAM_RSA_N));
        o["e"] = base64url_encode(bn_param(k, OSSL_PKEY_PARAM_RSA_E));
    } else if (id == EVP_PKEY_EC) {
        const std::size_t n = coord_for_bits(EVP_PKEY_get_bits(k));
        o["kty"] = "EC";
        o["crv"] = curve_for(p_->a) ? curve_for(p_->a) : "P-256";
        o["x"] = base64url_encode(bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, n));
        o["y"] = base64url_encode(bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, n));
    } else {
        unsigned char raw[32];
        std::size_t len = sizeof raw;
        if (EVP_PKEY_get_raw_public_key(k, raw, &len) != 1) fail("raw public key");
        o["kty"] = "OKP";
        o["crv"] = "Ed25519";
        o["x"] = base64url_encode(std::string_view(reinterpret_cast<char*>(raw), len));
    }
    o["kid"] = p_->kid;
    o["use"] = "sig";
    o["alg"] = std::string(to_string(p_->a));
    return o;
}

std::string signing_key::private_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, p_->pkey, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    return out;
}

std::string public_pem(const signing_key& key) {
    // Re-read through the private PEM so that only the public half is written.
    auto pem = key.private_pem();
    BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* k = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
    BIO_free(in);
    if (!k) fail("PEM");
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, k);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(len));
    BIO_free(bio);
    EVP_PKEY_free(k);
    return out;
}

std::string jwks_json(const std::vector<signing_key>& keys) {
    boost::json::array arr;
    for (const auto& k : keys) arr.push_back(k.public_jwk());
    return boost::json::serialize(boost::json::object{{"keys", std::move(arr)}});
}

std::string mint_token(const signing_key& key,
                       const boost::json::object& claims,
                       std::string_view typ) {
    const alg a = key.algorithm();
    if (!is_rsa(a) && !curve_for(a)) throw std::invalid_argument("cpp-jwt signs RS*/ES* only");
    if (is_ps(a)) throw std::invalid_argument("cpp-jwt signs RS*/ES* only");
    const std::string name(to_string(a));
    jwt::jwt_object obj{jwt::params::algorithm(name), jwt::params::secret(key.private_pem())};
    obj.header().add_header("typ", std::string(typ), true);
    obj.header().add_header("kid", key.kid());
    const auto payload = nlohmann::json::parse(boost::json::serialize(claims));
    for (const auto& [k, v] : payload.items()) obj.add_claim(k, v);
    return obj.signature();
}

std::string sign_compact(const signing_key& key,
                         std::string_view header_json,
                         std::string_view payload_json,
                         alg as) {
    std::string input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
    const std::string sig = raw_sign(key.internals().pkey, as, input);
    return input + "." + base64url_encode(sig);
}

std::string hmac_compact(std::string_view secret,
                         std::string_view header_json,
                         std::string_view payload_json) {
    std::string input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    return input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(mac), len));
}

}  // namespace orgscim::oidc
