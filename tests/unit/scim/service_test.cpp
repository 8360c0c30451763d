// The service without a socket: a request in, a response out, on the in-memory reference store.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <orgscim/scim/service.hpp>
#include <orgscim/scim/testing/memory_store.hpp>

namespace json = boost::json;
using namespace orgscim::scim;

namespace {

class service_test : public ::testing::Test {
  protected:
    service_test() : svc_(cfg_, reg_, store_) {}
    static schema_registry make_registry() {
        schema_registry r;
        register_core_schemas(r);
        return r;
    }

    response call(std::string method,
                  std::string path,
                  std::string body = {},
                  header_list headers = {},
                  std::vector<std::pair<std::string, std::string>> query = {},
                  caller who = caller{"t1", "test", "cred", true, true}) {
        request req;
        req.method = std::move(method);
        req.path = std::move(path);
        req.body = std::move(body);
        req.headers = std::move(headers);
        req.query = std::move(query);
        req.base_url = "https://scim.example.com/scim/v2";
        return svc_.handle(req, who);
    }
    static caller writer(std::string tenant = "t1") {
        return caller{std::move(tenant), "test", "cred", true, true};
    }
    static json::object parse(const response& r) { return json::parse(r.body).as_object(); }

    std::string create_user(const std::string& name, const std::string& extra = "") {
        auto r = call("POST", "/Users",
                      R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":")" +
                          name + "\"" + extra + "}");
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(parse(r).at("id").as_string());
    }

    config cfg_;
    schema_registry reg_ = make_registry();
    orgscim::scim::testing::memory_store store_;
    service svc_;
};

TEST_F(service_test, create_returns_location_etag_and_meta) {
    auto r =
        call("POST", "/Users",
             R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"})");
    ASSERT_EQ(r.status, 201) << r.body;
    auto body = parse(r);
    std::string id(body.at("id").as_string());
    auto has = [&](std::string_view name, std::string_view value) {
        for (const auto& [k, v] : r.headers) {
            if (k == name) return v == value;
        }
        return false;
    };
    EXPECT_TRUE(has("Location", "https://scim.example.com/scim/v2/Users/" + id));
    EXPECT_TRUE(has("Content-Type", "application/scim+json"));
    const auto& meta = body.at("meta").as_object();
    EXPECT_EQ(meta.at("resourceType"), "User");
    EXPECT_EQ(meta.at("version"), "W/\"1\"");
    EXPECT_TRUE(has("ETag", "W/\"1\""));
    EXPECT_EQ(meta.at("created"), meta.at("lastModified"));
}

TEST_F(service_test, version_changes_on_every_write) {
    auto id = create_user("v");
    std::string patch =
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"x"}]})";
    auto r1 = call("PATCH", "/Users/" + id, patch);
    auto r2 = call("PATCH", "/Users/" + id, patch);
    ASSERT_EQ(r1.status, 200);
    ASSERT_EQ(r2.status, 200);
    EXPECT_NE(parse(r1).at("meta").at("version"), parse(r2).at("meta").at("version"));
}

TEST_F(service_test, if_match_is_checked_atomically_with_the_write) {
    auto id = create_user("etag");
    std::string patch =
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"x"}]})";
    EXPECT_EQ(call("PATCH", "/Users/" + id, patch, {{"if-match", "W/\"2\""}}).status, 412);
    EXPECT_EQ(call("PATCH", "/Users/" + id, patch, {{"if-match", "W/\"1\""}}).status, 200);
    EXPECT_EQ(call("DELETE", "/Users/" + id, "", {{"if-match", "W/\"1\""}}).status, 412);
    EXPECT_EQ(call("GET", "/Users/" + id, "", {{"if-none-match", "W/\"2\""}}).status, 304);
    EXPECT_EQ(call("DELETE", "/Users/" + id, "", {{"if-match", "W/\"2\""}}).status, 204);
}

TEST_F(service_test, tenants_are_isolated) {
    auto id = create_user("alice");
    auto other = writer("t2");
    EXPECT_EQ(call("GET", "/Users/" + id, "", {}, {}, other).status, 404);
    auto list = call("GET", "/Users", "", {}, {}, other);
    EXPECT_EQ(parse(list).at("totalResults"), 0);
    EXPECT_EQ(call("DELETE", "/Users/" + id, "", {}, {}, other).status, 404);
    EXPECT_EQ(call("GET", "/Users/" + id).status, 200);
}

TEST_F(service_test, permissions_are_enforced_per_verb) {
    caller reader{"t1", "r", "c", true, false};
    auto body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"r"})";
    EXPECT_EQ(call("POST", "/Users", body, {}, {}, reader).status, 403);
    EXPECT_EQ(call("GET", "/Users", "", {}, {}, reader).status, 200);
    EXPECT_EQ(call("POST", "/Users/.search", "{}", {}, {}, reader).status, 200);
    caller none{"t1", "n", "c", false, false};
    EXPECT_EQ(call("GET", "/Users", "", {}, {}, none).status, 403);
    EXPECT_EQ(call("GET", "/ServiceProviderConfig", "", {}, {}, none).status, 200);
}

TEST_F(service_test, list_pages_with_exact_totals) {
    for (int i = 0; i < 7; ++i) create_user("user" + std::to_string(i));
    auto r = call("GET", "/Users", "", {},
                  {{"startIndex", "3"}, {"count", "2"}, {"sortBy", "userName"}});
    ASSERT_EQ(r.status, 200);
    auto body = parse(r);
    EXPECT_EQ(body.at("totalResults"), 7);
    EXPECT_EQ(body.at("itemsPerPage"), 2);
    EXPECT_EQ(body.at("startIndex"), 3);
    EXPECT_EQ(body.at("Resources").as_array()[0].at("userName"), "user2");
    // startIndex < 1 is treated as 1, negative count as 0 (RFC 7644 §3.4.2.4).
    auto r2 = parse(call("GET", "/Users", "", {}, {{"startIndex", "-5"}, {"count", "-1"}}));
    EXPECT_EQ(r2.at("startIndex"), 1);
    EXPECT_EQ(r2.at("itemsPerPage"), 0);
    EXPECT_EQ(r2.at("totalResults"), 7);
}

TEST_F(service_test, count_is_capped_by_max_results) {
    cfg_.max_results = 3;
    for (int i = 0; i < 5; ++i) create_user("cap" + std::to_string(i));
    auto body = parse(call("GET", "/Users", "", {}, {{"count", "100"}}));
    EXPECT_EQ(body.at("itemsPerPage"), 3);
    EXPECT_EQ(body.at("totalResults"), 5);
}

TEST_F(service_test, projection_honours_returned_rules) {
    auto id = create_user("proj", R"(,"title":"T","name":{"givenName":"G","familyName":"F"})");
    auto body = parse(call("GET", "/Users/" + id, "", {}, {{"attributes", "title"}}));
    EXPECT_TRUE(body.contains("id"));       // returned: always
    EXPECT_TRUE(body.contains("schemas"));  // always
    EXPECT_TRUE(body.contains("title"));
    EXPECT_FALSE(body.contains("userName"));
    EXPECT_FALSE(body.contains("name"));
    auto ex = parse(call("GET", "/Users/" + id, "", {}, {{"excludedAttributes", "id,name"}}));
    EXPECT_TRUE(ex.contains("id"));  // cannot be excluded
    EXPECT_FALSE(ex.contains("name"));
}

TEST_F(service_test, group_patch_answers_204_and_changes_members_without_echo) {
    auto u = create_user("m1");
    auto g =
        call("POST", "/Groups",
             R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"})");
    ASSERT_EQ(g.status, 201) << g.body;
    std::string gid(parse(g).at("id").as_string());
    auto r = call(
        "PATCH", "/Groups/" + gid,
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":")" +
            u + R"("}]}]})");
    EXPECT_EQ(r.status, 204);
    EXPECT_TRUE(r.body.empty());
    auto got = parse(call("GET", "/Groups/" + gid));
    ASSERT_EQ(got.at("members").as_array().size(), 1u);
    EXPECT_EQ(got.at("members").as_array()[0].at("value"), json::value(u));
    EXPECT_EQ(got.at("members").as_array()[0].at("$ref"),
              json::value("https://scim.example.com/scim/v2/Users/" + u));
}

TEST_F(service_test, bulk_limits_are_enforced_before_anything_runs) {
    cfg_.bulk.max_operations = 2;
    std::string op =
        R"({"method":"POST","path":"/Users","bulkId":"B","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"B"}})";
    auto body =
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[)" + op +
        "," + op + "," + op + "]}";
    auto r = call("POST", "/Bulk", body);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(parse(r).at("scimType"), "tooMany");
    EXPECT_EQ(parse(call("GET", "/Users")).at("totalResults"), 0);
    cfg_.bulk.max_payload_bytes = 10;
    EXPECT_EQ(call("POST", "/Bulk", body).status, 413);
}

TEST_F(service_test, bulk_path_references_resolve_to_the_named_bulk_id_only) {
    // "u1" is a prefix of "u10": each path must get its own operation's id.
    auto user = [](const std::string& bulk_id) {
        return R"({"method":"POST","path":"/Users","bulkId":")" + bulk_id +
               R"(","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":")" +
               bulk_id + R"("}})";
    };
    auto retitle = [](const std::string& bulk_id) {
        return R"({"method":"PATCH","path":"/Users/bulkId:)" + bulk_id +
               R"(","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"t-)" +
               bulk_id + R"("}]}})";
    };
    auto body =
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[)" +
        retitle("u10") + "," + retitle("u1") + "," + user("u1") + "," + user("u10") +
        R"(,{"method":"DELETE","path":"/Users/bulkId:u100"}]})";
    auto r = call("POST", "/Bulk", body);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto ops = parse(r).at("Operations").as_array();
    ASSERT_EQ(ops.size(), 5u);
    int patched = 0;
    for (const auto& op : ops) {
        const auto& o = op.as_object();
        if (o.at("method") != "PATCH") continue;
        EXPECT_EQ(o.at("status"), "200") << json::serialize(o);
        ++patched;
    }
    EXPECT_EQ(patched, 2);
    for (const std::string name : {"u1", "u10"}) {
        auto list =
            parse(call("GET", "/Users", "", {}, {{"filter", "userName eq \"" + name + "\""}}));
        ASSERT_EQ(list.at("totalResults"), 1) << name;
        EXPECT_EQ(list.at("Resources").as_array()[0].at("title"), json::value("t-" + name));
    }
    // An unknown bulkId in a path is not a resource of any operation: 409, nothing else changes.
    bool refused = false;
    for (const auto& op : ops) {
        if (op.as_object().at("method") == "DELETE") {
            refused = op.as_object().at("status") == "409";
        }
    }
    EXPECT_TRUE(refused);
}

TEST_F(service_test, unsupported_method_and_unknown_endpoint) {
    EXPECT_EQ(call("GET", "/Nope").status, 404);
    EXPECT_EQ(call("PUT", "/Users").status, 501);
    EXPECT_EQ(call("POST", "/Users", "x", {{"content-type", "text/plain"}}).status, 415);
}

TEST(store_error_mapping, every_store_errc_maps_to_an_rfc_status) {
    for (auto e : {store_errc::conflict, store_errc::not_found, store_errc::version_mismatch,
                   store_errc::bad_reference, store_errc::aborted, store_errc::unavailable,
                   store_errc::internal}) {
        auto err = to_scim_error(e, "User");
        EXPECT_TRUE(err.status == 400 || err.status == 404 || err.status == 409 ||
                    err.status == 412 || err.status == 500 || err.status == 503)
            << to_string(e);
        EXPECT_FALSE(err.detail.empty());
        EXPECT_FALSE(std::string(make_error_code(e).message()).empty());
    }
    EXPECT_EQ(to_scim_error(store_errc::conflict, "User").type, scim_type::uniqueness);
    EXPECT_EQ(to_scim_error(store_errc::version_mismatch, "User").status, 412);
    EXPECT_EQ(to_scim_error(store_errc::unavailable, "User").status, 503);
}

TEST(scim_error, every_scim_type_has_a_wire_name) {
    for (int i = 1; i <= static_cast<int>(scim_type::sensitive); ++i) {
        auto t = static_cast<scim_type>(i);
        EXPECT_FALSE(to_string(t).empty());
        auto body = json::parse(to_body(error::bad_request(t, "d"))).as_object();
        EXPECT_EQ(body.at("status"), "400");
        EXPECT_EQ(body.at("scimType"), json::value(to_string(t)));
    }
}

// meta.created and meta.lastModified are RFC 3339 UTC with milliseconds, for any instant a clock
// can give (the digits are written by hand).
TEST(service_time, meta_times_are_utc_with_milliseconds) {
    schema_registry reg;
    register_core_schemas(reg);
    config cfg;
    for (const auto& [ms, text] : std::vector<std::pair<std::int64_t, std::string>>{
             {0, "1970-01-01T00:00:00.000Z"},
             {1'305'261'754'007, "2011-05-13T04:42:34.007Z"},
             {4'102'444'799'999, "2099-12-31T23:59:59.999Z"},
             {-1, "1969-12-31T23:59:59.999Z"},
             {253'402'300'800'001, "10000-01-01T00:00:00.001Z"}}) {
        orgscim::scim::testing::memory_store store([ms = ms] { return ms; });
        service svc(cfg, reg, store);
        request req;
        req.method = "POST";
        req.path = "/Users";
        req.body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"t"})";
        req.base_url = "https://scim.example.com/scim/v2";
        auto r = svc.handle(req, caller{"t1", "test", "cred", true, true});
        ASSERT_EQ(r.status, 201) << r.body;
        const auto meta = json::parse(r.body).at("meta").as_object();
        EXPECT_EQ(meta.at("created").as_string(), text) << ms;
        EXPECT_EQ(meta.at("lastModified").as_string(), text) << ms;
    }
}

}  // namespace

// stage() is handle() split around the store call (a host runs the call on its write thread):
// the same answers, nothing stored before store(), and a store() run again (a retried unit of
// work) writes once more from the same parsed request.
TEST_F(service_test, staged_writes_answer_as_handle_does) {
    request post;
    post.method = "POST";
    post.path = "/Users";
    post.base_url = "https://scim.example.com/scim/v2";
    post.body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"st"})";
    auto staged = svc_.stage(post, writer());
    ASSERT_TRUE(staged.has_value());
    EXPECT_EQ(parse(call("GET", "/Users")).at("totalResults"), 0);  // parsed, not stored
    staged->store();
    ASSERT_NE(staged->written(), nullptr);
    EXPECT_EQ(staged->written()->attrs.at("userName"), "st");
    const std::string id = staged->written()->id;
    auto r = staged->answer();
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(parse(r).at("id").as_string(), id);
    EXPECT_EQ(parse(call("GET", "/Users/" + id)).at("userName"), "st");

    // Run again: the uniqueness rule answers the second store call, as it would a second POST.
    staged->store();
    EXPECT_EQ(staged->written(), nullptr);
    EXPECT_EQ(staged->answer().status, 409);

    // An error found before storage: no store call, the same error body handle() gives.
    request bad = post;
    bad.body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]})";
    auto refused = svc_.stage(bad, writer());
    ASSERT_TRUE(refused.has_value());
    refused->store();
    EXPECT_EQ(refused->written(), nullptr);
    EXPECT_EQ(refused->answer().body, svc_.handle(bad, writer()).body);

    request patch;
    patch.method = "PATCH";
    patch.path = "/Users/" + id;
    patch.base_url = post.base_url;
    patch.body =
        R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]})";
    auto p = svc_.stage(patch, writer());
    ASSERT_TRUE(p.has_value());
    p->store();
    ASSERT_NE(p->written(), nullptr);
    EXPECT_EQ(p->written()->attrs.at("active"), false);
    EXPECT_EQ(p->answer().status, 200);

    request put = post;
    put.method = "PUT";
    put.path = "/Users/" + id;
    put.headers = {{"if-match", "W/\"1\""}};  // the PATCH made it 2
    auto u = svc_.stage(put, writer());
    ASSERT_TRUE(u.has_value());
    u->store();
    EXPECT_EQ(u->answer().status, 412);

    // Everything else is handle()'s whole: reads, DELETE, Bulk, searches, callers who may not
    // write.
    for (const auto& [method, path] :
         std::vector<std::pair<std::string, std::string>>{{"GET", "/Users"},
                                                          {"DELETE", "/Users/" + id},
                                                          {"POST", "/Users/.search"},
                                                          {"POST", "/Bulk"},
                                                          {"POST", "/Users/" + id}}) {
        request other = post;
        other.method = method;
        other.path = path;
        EXPECT_FALSE(svc_.stage(other, writer()).has_value()) << method << " " << path;
    }
    EXPECT_FALSE(svc_.stage(post, caller{"t1", "r", "c", true, false}).has_value());
}

// The write hook answers first, before the body is even looked at, as in handle().
TEST_F(service_test, staged_writes_ask_the_write_hook_first) {
    int asked = 0;
    svc_.set_write_hook([&](const request&, const caller&) -> std::optional<response> {
        ++asked;
        response r;
        r.status = 418;
        return r;
    });
    request post;
    post.method = "POST";
    post.path = "/Users";
    post.body = "not json";
    auto s = svc_.stage(post, writer());
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(asked, 0);  // asked inside store(), the unit of work
    s->store();
    EXPECT_EQ(asked, 1);
    EXPECT_EQ(s->written(), nullptr);
    EXPECT_EQ(s->answer().status, 418);
    EXPECT_EQ(svc_.handle(post, writer()).status, 418);
}
