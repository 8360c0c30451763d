// The module's parts without a host: the Ulfius translation, and the user mirror against a fake
// Glewlwyd (SCIM user events become add_user / set_user, merged because set_user replaces the
// record, / delete_user, with the shapes Glewlwyd expects).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "fake_glewlwyd_host.hpp"
#include "ulfius_adapter.hpp"
#include "user_mirror.hpp"

namespace {

namespace gw = orgscim::plugin::glewlwyd;
using orgscim::plugin::user_change;
using orgscim::plugin::user_event;
using orgscim::test::fake_glewlwyd_host;

user_change change(user_event event, const char* scim_json) {
    user_change c;
    c.event = event;
    c.org_id = "org1";
    c.resource = boost::json::parse(scim_json).as_object();
    c.id = std::string{c.resource["id"].as_string()};
    c.user_name = std::string{c.resource["userName"].as_string()};
    return c;
}

std::string str(json_t* user, const char* key) {
    const char* v = json_string_value(json_object_get(user, key));
    return v ? v : "";
}

TEST(ulfius_adapter, request_keeps_the_raw_target_and_lowercases_header_names) {
    struct _u_request req;
    ASSERT_EQ(ulfius_init_request(&req), U_OK);
    req.http_verb = strdup("PATCH");
    req.http_url = strdup("/api/scim/scim/v2/Users?filter=userName%20eq%20%22a%22");
    u_map_put(req.map_header, "Content-Type", "application/scim+json");
    const std::string body = R"({"Operations":[]})";
    req.binary_body = malloc(body.size());
    memcpy(req.binary_body, body.data(), body.size());
    req.binary_body_length = body.size();
    const auto out = gw::to_http_request(req);
    ulfius_clean_request(&req);
    EXPECT_EQ(out.method, "PATCH");
    EXPECT_EQ(out.target, "/api/scim/scim/v2/Users?filter=userName%20eq%20%22a%22");
    ASSERT_EQ(out.headers.size(), 1u);
    EXPECT_EQ(out.headers[0].first, "content-type");
    EXPECT_EQ(out.headers[0].second, "application/scim+json");
    EXPECT_EQ(out.body, body);
}

TEST(ulfius_adapter, response_keeps_scim_content_type_and_allows_an_empty_body) {
    orgscim::scim::response res;
    res.status = 201;
    res.headers = {{"Content-Type", "application/scim+json"}, {"Location", "http://x/Users/1"}};
    res.body = R"({"id":"1"})";
    struct _u_response out;
    ASSERT_EQ(ulfius_init_response(&out), U_OK);
    EXPECT_TRUE(gw::write_response(res, out));
    EXPECT_EQ(out.status, 201);
    EXPECT_STREQ(u_map_get_case(out.map_header, "content-type"), "application/scim+json");
    EXPECT_STREQ(u_map_get_case(out.map_header, "location"), "http://x/Users/1");
    EXPECT_EQ(std::string(static_cast<const char*>(out.binary_body), out.binary_body_length),
              res.body);
    ulfius_clean_response(&out);

    orgscim::scim::response none;
    none.status = 204;
    ASSERT_EQ(ulfius_init_response(&out), U_OK);
    EXPECT_TRUE(gw::write_response(none, out));  // Ulfius rejects empty binary bodies itself
    EXPECT_EQ(out.status, 204);
    EXPECT_EQ(out.binary_body_length, 0u);
    ulfius_clean_response(&out);
}

constexpr const char* alice = R"({"id":"u1","userName":"alice@example.com","active":true,
    "displayName":"Alice A","name":{"givenName":"Alice","familyName":"A"},
    "emails":[{"value":"other@example.com"},{"value":"alice@example.com","primary":true}]})";

TEST(glewlwyd_user_mirror, maps_scim_attributes_onto_glewlwyd_properties) {
    auto user = gw::user_mirror::to_glewlwyd_user(
        boost::json::parse(R"({"id":"u2","userName":"bob","externalId":"e-7",
            "name":{"givenName":"Bob","familyName":"B"},"emails":[{"value":"b@x.test"}],
            "active":false})")
            .as_object(),
        {.enabled = true, .scopes = {}, .extra_properties = true});
    EXPECT_EQ(user["username"], "bob");
    EXPECT_EQ(user["name"], "Bob B");
    EXPECT_EQ(user["email"], "b@x.test");
    EXPECT_EQ(user["enabled"], false);
    EXPECT_EQ(user["scim_id"], "u2");
    EXPECT_EQ(user["external_id"], "e-7");
    EXPECT_FALSE(gw::user_mirror::to_glewlwyd_user(user, {}).contains("scim_id"));
}

TEST(glewlwyd_user_mirror, create_update_disable_delete) {
    fake_glewlwyd_host host;
    gw::user_mirror mirror{&host.config, {.enabled = true, .scopes = {"g_profile", "scim"}}};

    auto created = change(user_event::created, alice);
    created.password = "Secret-1";
    mirror(created);
    mirror.flush();
    json_t* u = host.user("alice@example.com");
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(str(u, "name"), "Alice A");
    EXPECT_EQ(str(u, "email"), "alice@example.com");
    EXPECT_TRUE(json_is_true(json_object_get(u, "enabled")));
    EXPECT_EQ(json_array_size(json_object_get(u, "scope")), 2u);
    EXPECT_EQ(str(u, "password"), "Secret-1");

    // Properties SCIM does not own survive an update (set_user replaces the whole record).
    json_object_set_new(u, "picture", json_string("p.png"));
    auto renamed_display = change(user_event::updated, R"({"id":"u1","userName":"alice@example.com",
        "displayName":"Alice Liddell","active":true})");
    mirror(renamed_display);
    mirror.flush();
    u = host.user("alice@example.com");
    EXPECT_EQ(host.set_user_calls, 1);
    EXPECT_EQ(str(u, "name"), "Alice Liddell");
    EXPECT_EQ(str(u, "picture"), "p.png");
    EXPECT_EQ(json_array_size(json_object_get(u, "scope")), 2u);

    mirror(change(user_event::disabled, R"({"id":"u1","userName":"alice@example.com",
        "active":false})"));
    mirror.flush();
    EXPECT_TRUE(json_is_false(json_object_get(host.user("alice@example.com"), "enabled")));

    mirror(change(user_event::deleted, R"({"id":"u1","userName":"alice@example.com"})"));
    mirror.flush();
    EXPECT_EQ(host.user("alice@example.com"), nullptr);
    ASSERT_EQ(host.revoked.size(), 1u);
}

TEST(glewlwyd_user_mirror, a_burst_of_changes_ends_in_the_latest_state_with_the_password) {
    fake_glewlwyd_host host;
    gw::user_mirror mirror{&host.config, {}};
    auto created = change(user_event::created, alice);
    created.password = "Secret-1";
    mirror(created);
    for (int i = 0; i < 20; ++i) {
        mirror(change(user_event::updated, R"({"id":"u1","userName":"alice@example.com",
            "displayName":"Alice B","active":true})"));
    }
    mirror(change(user_event::disabled, R"({"id":"u1","userName":"alice@example.com",
        "displayName":"Alice C","active":false})"));
    mirror.flush();
    json_t* u = host.user("alice@example.com");
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(str(u, "name"), "Alice C");
    EXPECT_TRUE(json_is_false(json_object_get(u, "enabled")));
    EXPECT_EQ(str(u, "password"), "Secret-1");
    EXPECT_LE(host.set_user_calls, 21);
}

TEST(glewlwyd_user_mirror, rename_adds_the_new_name_and_removes_the_old) {
    fake_glewlwyd_host host;
    gw::user_mirror mirror{&host.config, {}};
    mirror(change(user_event::created, alice));
    mirror.flush();
    auto renamed = change(user_event::updated, R"({"id":"u1","userName":"alice.l@example.com"})");
    renamed.previous_user_name = "alice@example.com";
    mirror(renamed);
    mirror.flush();
    EXPECT_EQ(host.user("alice@example.com"), nullptr);
    EXPECT_NE(host.user("alice.l@example.com"), nullptr);
}

TEST(glewlwyd_user_mirror,
     an_update_for_an_unknown_user_creates_it_and_disabled_sync_does_nothing) {
    fake_glewlwyd_host host;
    gw::user_mirror mirror{&host.config, {}};
    mirror(change(user_event::updated, alice));
    mirror.flush();
    EXPECT_NE(host.user("alice@example.com"), nullptr);

    fake_glewlwyd_host other;
    gw::user_mirror off{&other.config, {.enabled = false}};
    off(change(user_event::created, alice));
    off.flush();
    EXPECT_TRUE(other.users.empty());
}

}  // namespace
