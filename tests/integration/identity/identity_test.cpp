// The identity service of the app on a real SQLite database: clients and secrets through the
// oauth_store, tokens from POST /oauth2/token verified by the same and by another instance
// (the signing key lives in the database), key rotation with overlap, secret rotation/expiry.
#include "identity.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <orgscim/oidc/base64url.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/plugin/storage/oauth_store.hpp>
#include <orgscim/testing/process.hpp>
#include <token_issuer.hpp>

namespace orgscim::plugin {
namespace {

namespace json = boost::json;

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

class IdentityTest : public ::testing::Test {
  protected:
    void SetUp() override {
        cfg_.public_base_url = "https://scim.example.test";
        cfg_.storage.backend = "sqlite";
        cfg_.storage.sqlite.path = dir_.path() + "/orgscim.db";
        backend_ = open_backend(cfg_.storage);  // applies the migrations
        org_ = backend_->create_org("acme", std::nullopt)->id;
        store_ = open_oauth_store(cfg_.storage);
    }

    // A client with one fresh secret; returns {id, secret}.
    std::pair<std::string, std::string> client(std::uint8_t perms = 3,
                                               std::optional<std::int64_t> expires = {}) {
        const auto gen = oidc::generate_client_secret();
        oauth_client_info c;
        c.client_id = oidc::generate_client_id();
        c.org_id = org_;
        c.permissions = perms;
        c.secrets.push_back({gen.record.id, gen.record.hash, 0, expires});
        EXPECT_TRUE(store_->create_client(c));
        return {c.client_id, gen.secret};
    }

    static scim::response token_request(identity& id, const std::string& body) {
        http_request req;
        req.method = "POST";
        req.target = "/oauth2/token";
        req.headers = {{"content-type", "application/x-www-form-urlencoded"}};
        req.body = body;
        return id.token_endpoint(req);
    }

    static std::string access_token(identity& id, const std::string& cid, const std::string& sec) {
        auto r = token_request(
            id, "grant_type=client_credentials&client_id=" + cid + "&client_secret=" + sec);
        EXPECT_EQ(r.status, 200) << r.body;
        if (r.status != 200) return {};
        return std::string(json::parse(r.body).at("access_token").as_string());
    }

    testing::temp_dir dir_;
    config cfg_;
    std::unique_ptr<backend> backend_;
    std::unique_ptr<oauth_store> store_;
    std::string org_;
};

TEST_F(IdentityTest, StoreKeepsClientsSecretsAndRevocation) {
    const auto [id, secret] = client();
    auto c = store_->find_client(id);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->org_id, org_);
    ASSERT_EQ(c->secrets.size(), 1u);
    EXPECT_EQ(c->secrets[0].hash, oidc::hash_client_secret(secret));
    EXPECT_EQ(c->secrets[0].hash.find(secret), std::string::npos) << "only the hash is stored";
    EXPECT_FALSE(c->revoked_ms);

    oauth_client_info dup = *c;
    dup.secrets.clear();
    EXPECT_EQ(store_->create_client(dup).error(), scim::store_errc::conflict);
    dup.client_id = "oc_other";
    dup.org_id = "no-such-org";
    EXPECT_EQ(store_->create_client(dup).error(), scim::store_errc::not_found);

    EXPECT_EQ(store_->list_clients(org_)->size(), 1u);
    EXPECT_TRUE(store_->revoke_client(id, 42));
    EXPECT_TRUE(store_->revoke_client(id, 99));  // idempotent: the first time stays
    EXPECT_EQ(store_->find_client(id)->revoked_ms, 42);
    EXPECT_EQ(store_->revoke_client("oc_nope", 1).error(), scim::store_errc::not_found);
    EXPECT_EQ(store_->find_client("oc_nope").error(), scim::store_errc::not_found);
}

TEST_F(IdentityTest, TokenFromOneInstanceVerifiesOnAnother) {
    const auto [id, secret] = client();
    identity a(cfg_, open_oauth_store(cfg_.storage));
    identity b(cfg_, open_oauth_store(cfg_.storage));
    EXPECT_TRUE(a.ready());
    const auto token = access_token(a, id, secret);
    ASSERT_FALSE(token.empty());
    for (identity* i : {&a, &b}) {
        auto who = i->verify(token);
        ASSERT_TRUE(who) << who.error().reason;
        EXPECT_EQ(who->tenant, org_);
        EXPECT_TRUE(who->can_read);
        EXPECT_TRUE(who->can_write);
        EXPECT_EQ(who->credential_id, "client:" + id);
    }
    EXPECT_EQ(store_->signing_keys()->size(), 1u) << "the second instance reused the key";

    // Tampered token: 401 invalid_token with the real reason only in `reason`.
    auto bad = token;
    bad[bad.size() - 3] = bad[bad.size() - 3] == 'A' ? 'B' : 'A';
    auto f = a.verify(bad);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().status, 401);
    EXPECT_NE(f.error().challenge.find("invalid_token"), std::string::npos);
}

TEST_F(IdentityTest, KeyRotationKeepsOldTokensValid) {
    const auto [id, secret] = client();
    identity a(cfg_, open_oauth_store(cfg_.storage));
    const auto old_token = access_token(a, id, secret);

    const auto next = oidc::signing_key::generate(oidc::alg::es256, "k-next");
    ASSERT_TRUE(store_->add_signing_key({next.kid(), "ES256", next.private_pem(), now_ms() + 1}));
    identity b(cfg_, open_oauth_store(cfg_.storage));
    EXPECT_EQ(json::parse(b.jwks().body).at("keys").as_array().size(), 2u);
    const auto new_token = access_token(b, id, secret);
    const auto header = json::parse(
        *oidc::base64url_decode(std::string_view(new_token).substr(0, new_token.find('.'))));
    EXPECT_EQ(header.at("kid").as_string(), "k-next") << "the newest key signs";
    EXPECT_TRUE(b.verify(old_token)) << "the older key stays valid (overlap)";
    EXPECT_TRUE(b.verify(new_token));
}

TEST_F(IdentityTest, SecretRotationExpiryAndReadOnlyClients) {
    const auto [id, first] = client();
    const auto second = oidc::generate_client_secret();
    ASSERT_TRUE(store_->add_secret(id, {second.record.id, second.record.hash, 0, std::nullopt}));
    const auto expired = oidc::generate_client_secret();
    ASSERT_TRUE(store_->add_secret(id, {expired.record.id, expired.record.hash, 0, now_ms() - 1}));
    identity a(cfg_, open_oauth_store(cfg_.storage));
    EXPECT_FALSE(access_token(a, id, first).empty());
    EXPECT_FALSE(access_token(a, id, second.secret).empty());
    EXPECT_EQ(token_request(a, "grant_type=client_credentials&client_id=" + id +
                                   "&client_secret=" + expired.secret)
                  .status,
              401);

    const auto [ro, ro_secret] = client(oidc::perm_read);
    auto who = a.verify(access_token(a, ro, ro_secret));
    ASSERT_TRUE(who);
    EXPECT_TRUE(who->can_read);
    EXPECT_FALSE(who->can_write);

    // Revoked: the token endpoint sees it at once.
    ASSERT_TRUE(store_->revoke_client(id, now_ms()));
    EXPECT_EQ(token_request(
                  a, "grant_type=client_credentials&client_id=" + id + "&client_secret=" + first)
                  .status,
              401);
}

}  // namespace
}  // namespace orgscim::plugin
