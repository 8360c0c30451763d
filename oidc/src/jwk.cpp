// JWK → EVP_PKEY (OpenSSL 3 provider API only) and JWS signature checks with EVP_DigestVerify.

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <orgscim/oidc/base64url.hpp>
#include <orgscim/oidc/jwk.hpp>
#include <set>

#include "json_strict.hpp"

namespace orgscim::oidc {

struct public_key::impl {
    EVP_PKEY* pkey = nullptr;
    // Initialised verify contexts per alg, copied per verification: EVP_DigestVerifyInit fetches
    // the algorithm from the provider store on every call, which costs more than the copy.
    mutable std::array<std::atomic<EVP_MD_CTX*>, std::size(all_algs)> templates{};
    mutable std::mutex templates_m;
    ~impl() {
        for (auto& t : templates) EVP_MD_CTX_free(t.load());
        EVP_PKEY_free(pkey);
    }
};

namespace {

template <class T, void (*F)(T*)>
struct deleter {
    void operator()(T* p) const noexcept { F(p); }
};
using bn_ptr = std::unique_ptr<BIGNUM, deleter<BIGNUM, BN_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY, EVP_PKEY_free>>;
using pctx_ptr = std::unique_ptr<EVP_PKEY_CTX, deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using mdctx_ptr = std::unique_ptr<EVP_MD_CTX, deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using ecsig_ptr = std::unique_ptr<ECDSA_SIG, deleter<ECDSA_SIG, ECDSA_SIG_free>>;

const boost::json::string* get_string(const boost::json::object& o, std::string_view k) {
    const auto* v = o.if_contains(k);
    return v ? v->if_string() : nullptr;
}

std::optional<std::string> get_b64(const boost::json::object& o, std::string_view k) {
    const auto* s = get_string(o, k);
    if (!s) return std::nullopt;
    return base64url_decode(std::string_view(*s));
}

pkey_ptr from_params(const char* type, OSSL_PARAM_BLD* bld) {
    params_ptr params(OSSL_PARAM_BLD_to_param(bld));
    if (!params) return nullptr;
    pctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
    return pkey_ptr(raw);
}

bool public_check(EVP_PKEY* pkey) {
    pctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

pkey_ptr rsa_key(const boost::json::object& o) {
    auto n = get_b64(o, "n");
    auto e = get_b64(o, "e");
    if (!n || !e || n->empty() || e->empty() || (*n)[0] == 0 || (*e)[0] == 0) return nullptr;
    bn_ptr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                          static_cast<int>(n->size()), nullptr));
    bn_ptr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                          static_cast<int>(e->size()), nullptr));
    if (!bn_n || !bn_e) return nullptr;
    if (BN_num_bits(bn_n.get()) < 2048 || BN_num_bits(bn_n.get()) > 16384) return nullptr;
    if (!BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2 || BN_num_bits(bn_e.get()) > 64)
        return nullptr;
    bld_ptr bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
        return nullptr;
    return from_params("RSA", bld.get());
}

struct curve {
    std::string_view jwk_name;
    const char* group;
    std::size_t coord;
    alg a;
};
constexpr curve curves[] = {{"P-256", "P-256", 32, alg::es256},
                            {"P-384", "P-384", 48, alg::es384},
                            {"P-521", "P-521", 66, alg::es512}};

const curve* find_curve(std::string_view crv) {
    for (const auto& c : curves) {
        if (c.jwk_name == crv) return &c;
    }
    return nullptr;
}

pkey_ptr ec_key(const boost::json::object& o, const curve& c) {
    auto x = get_b64(o, "x");
    auto y = get_b64(o, "y");
    if (!x || !y || x->size() != c.coord || y->size() != c.coord) return nullptr;
    std::string point;
    point.reserve(1 + 2 * c.coord);
    point.push_back('\x04');
    point += *x;
    point += *y;
    bld_ptr bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, c.group, 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1)
        return nullptr;
    auto key = from_params("EC", bld.get());
    if (!key || !public_check(key.get())) return nullptr;
    return key;
}

pkey_ptr ed25519_key(const boost::json::object& o) {
    auto x = get_b64(o, "x");
    if (!x || x->size() != 32) return nullptr;
    return pkey_ptr(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
}

alg_set rsa_family() {
    alg_set s;
    for (alg a : {alg::rs256, alg::rs384, alg::rs512, alg::ps256, alg::ps384, alg::ps512})
        s.insert(a);
    return s;
}

result<jwk> jwk_from_object(const boost::json::object& o, alg_set allowed) {
    const auto* kty = get_string(o, "kty");
    if (!kty) return errc::bad_jwks;
    for (std::string_view priv : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
        if (o.contains(priv)) return errc::no_usable_keys;
    }
    if (const auto* use = o.if_contains("use")) {
        if (!use->is_string() || use->as_string() != "sig") return errc::no_usable_keys;
    }
    if (const auto* ops = o.if_contains("key_ops")) {
        const auto* arr = ops->if_array();
        if (!arr) return errc::no_usable_keys;
        bool verify = false;
        for (const auto& op : *arr)
            verify = verify || (op.is_string() && op.as_string() == "verify");
        if (!verify) return errc::no_usable_keys;
    }
    jwk out;
    if (const auto* kid = o.if_contains("kid")) {
        if (!kid->is_string()) return errc::no_usable_keys;
        out.kid = std::string(kid->as_string());
    }
    if (const auto* iss = o.if_contains("issuer")) {
        if (!iss->is_string()) return errc::no_usable_keys;
        out.issuer = std::string(iss->as_string());
    }
    std::optional<alg> declared;
    if (const auto* a = o.if_contains("alg")) {
        if (!a->is_string()) return errc::no_usable_keys;
        declared = alg_from_string(std::string_view(a->as_string()));
        if (!declared || !allowed.contains(*declared)) return errc::no_usable_keys;
    }
    alg_set family;
    pkey_ptr key;
    out.kty = std::string(*kty);
    if (*kty == "RSA") {
        family = rsa_family();
        key = rsa_key(o);
    } else if (*kty == "EC") {
        const auto* crv = get_string(o, "crv");
        const curve* c = crv ? find_curve(std::string_view(*crv)) : nullptr;
        if (!c) return errc::no_usable_keys;
        family.insert(c->a);
        key = ec_key(o, *c);
    } else if (*kty == "OKP") {
        const auto* crv = get_string(o, "crv");
        if (!crv || *crv != "Ed25519") return errc::no_usable_keys;
        family.insert(alg::eddsa);
        key = ed25519_key(o);
    } else {
        return errc::no_usable_keys;  // unknown kty: ignored (RFC 7517 §5)
    }
    if (!key) return errc::no_usable_keys;
    if (declared) {
        if (!family.contains(*declared)) return errc::no_usable_keys;
        out.algs.insert(*declared);
    } else {
        out.algs = family & allowed;
    }
    if (out.algs.empty()) return errc::no_usable_keys;
    auto holder = std::make_shared<public_key::impl>();
    holder->pkey = key.release();
    out.key = public_key(std::move(holder));
    return out;
}

const EVP_MD* digest_for(alg a) {
    // Fetched once: EVP_get_digestbyname per call would cost a provider lookup per verification.
    static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    static EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
    static EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
    switch (a) {
        case alg::rs256:
        case alg::ps256:
        case alg::es256:
            return sha256;
        case alg::rs384:
        case alg::ps384:
        case alg::es384:
            return sha384;
        case alg::rs512:
        case alg::ps512:
        case alg::es512:
            return sha512;
        case alg::eddsa:
            return nullptr;
    }
    return nullptr;
}

std::size_t ec_coord_size(alg a) {
    switch (a) {
        case alg::es256:
            return 32;
        case alg::es384:
            return 48;
        case alg::es512:
            return 66;
        default:
            return 0;
    }
}

// JWS carries ES* signatures as fixed-length R||S; EVP wants DER.
std::optional<std::string> raw_to_der(std::string_view sig, std::size_t coord) {
    if (sig.size() != 2 * coord) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    bn_ptr r(BN_bin2bn(p, static_cast<int>(coord), nullptr));
    bn_ptr s(BN_bin2bn(p + coord, static_cast<int>(coord), nullptr));
    if (!r || !s) return std::nullopt;
    ecsig_ptr es(ECDSA_SIG_new());
    if (!es || ECDSA_SIG_set0(es.get(), r.get(), s.get()) != 1) return std::nullopt;
    r.release();
    s.release();
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(es.get(), &der);
    if (len <= 0) return std::nullopt;
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

bool init_verify(EVP_MD_CTX* ctx, EVP_PKEY* pkey, alg a) {
    EVP_PKEY_CTX* pctx = nullptr;
    const EVP_MD* md = digest_for(a);
    if (a != alg::eddsa && !md) return false;
    if (EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey) != 1) return false;
    if (a == alg::ps256 || a == alg::ps384 || a == alg::ps512) {
        // RFC 7518 §3.5: MGF1 with the same hash, salt length = hash length, nothing else.
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
               EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
    }
    if (a == alg::rs256 || a == alg::rs384 || a == alg::rs512)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    return true;
}

const EVP_MD_CTX* verify_template(const public_key::impl& k, alg a) {
    auto& slot = k.templates[static_cast<std::size_t>(a)];
    if (EVP_MD_CTX* t = slot.load(std::memory_order_acquire)) return t;
    std::lock_guard lk(k.templates_m);
    if (EVP_MD_CTX* t = slot.load(std::memory_order_acquire)) return t;
    EVP_MD_CTX* t = EVP_MD_CTX_new();
    if (!t || !init_verify(t, k.pkey, a)) {
        EVP_MD_CTX_free(t);
        return nullptr;
    }
    slot.store(t, std::memory_order_release);
    return t;
}

}  // namespace

const jwk* jwk_set::find(std::string_view kid) const noexcept {
    for (const auto& k : keys) {
        if (k.kid == kid) return &k;
    }
    return nullptr;
}

result<jwk> parse_jwk(std::string_view json, alg_set allowed) {
    auto obj = detail::parse_strict_object(json);
    if (!obj) return obj.error();
    return jwk_from_object(*obj, allowed);
}

result<jwk_set> parse_jwk_set(std::string_view json, alg_set allowed) {
    auto obj = detail::parse_strict_object(json);
    if (!obj) return obj.error();
    const auto* keys = obj->if_contains("keys");
    if (!keys || !keys->is_array()) return errc::bad_jwks;
    jwk_set set;
    std::set<std::string, std::less<>> dup_kids;
    for (const auto& v : keys->as_array()) {
        if (!v.is_object()) continue;
        auto k = jwk_from_object(v.as_object(), allowed);
        if (!k) continue;
        if (set.find(k->kid)) {
            dup_kids.insert(k->kid);
            continue;
        }
        set.keys.push_back(std::move(*k));
    }
    // A kid that names two keys names neither.
    std::erase_if(set.keys, [&](const jwk& k) { return dup_kids.contains(k.kid); });
    if (set.keys.empty()) return errc::no_usable_keys;
    return set;
}

bool verify_signature(const jwk& key,
                      alg a,
                      std::string_view signing_input,
                      std::string_view sig) noexcept {
    if (!key.algs.contains(a) || !key.key) return false;
    EVP_PKEY* pkey = key.key.get()->pkey;
    std::optional<std::string> der;
    std::string_view to_check = sig;
    const bool rsa = a == alg::rs256 || a == alg::rs384 || a == alg::rs512 || a == alg::ps256 ||
                     a == alg::ps384 || a == alg::ps512;
    if (rsa) {
        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) return false;
        if (sig.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey))) return false;
    } else if (a == alg::eddsa) {
        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519 || sig.size() != 64) return false;
    } else {
        if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) return false;
        der = raw_to_der(sig, ec_coord_size(a));
        if (!der) return false;
        to_check = *der;
    }
    const EVP_MD_CTX* tmpl = verify_template(*key.key.get(), a);
    if (!tmpl) return false;
    mdctx_ptr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), tmpl) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(to_check.data()),
                            to_check.size(),
                            reinterpret_cast<const unsigned char*>(signing_input.data()),
                            signing_input.size()) == 1;
}

}  // namespace orgscim::oidc
