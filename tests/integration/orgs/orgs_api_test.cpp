// The organization endpoints as a client sees them (scim::request in, scim::response out), on
// SQLite: SCIM behaviour of /Organizations and /Events (filter, paging, errors) and the JSON
// member/role APIs, including the cross-org answers (404, never 403, for invisible orgs).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <orgscim/plugin/orgs/orgs_api.hpp>
#include <orgscim/plugin/orgs/provisioning_hook.hpp>
#include <orgscim/scim/service.hpp>
#include <orgscim/testing/process.hpp>

#include "sqlite/sqlite_store.hpp"

namespace {

using namespace orgscim::plugin;
using namespace orgscim::plugin::orgs;
namespace json = boost::json;

class orgs_api_test : public ::testing::Test {
  protected:
    void SetUp() override {
        cfg_.sqlite.path = dir_.path() + "/orgscim.db";
        backend_ = std::make_unique<sqlite_store>(cfg_.sqlite);
        store_ = open_directory(cfg_);
        svc_ = std::make_unique<directory_service>(*store_);
        api_ = std::make_unique<orgs_api>(orgscim::scim::config{}, *svc_);
        org_node root;
        root.name = "Contoso MSP";
        msp_ = svc_->create_org(actor::cli(), root, false)->id;
        org_node other;
        other.name = "Fabrikam";
        other_ = svc_->create_org(actor::cli(), other, false)->id;
        identity_record i;
        i.issuer = "https://login.example";
        i.subject = "alice";
        auto m = svc_->put_member(actor::cli(), msp_, i, membership_kind::home,
                                  {{"full-admin-access"}, false, {}});
        alice_.subject = "https://login.example|alice";
        alice_.identity_id = m->identity_id;
    }

    orgscim::scim::response call(const actor& who,
                                 std::string method,
                                 std::string path,
                                 std::string body = {},
                                 std::vector<std::pair<std::string, std::string>> query = {},
                                 std::string context = {}) {
        orgscim::scim::request r;
        r.method = std::move(method);
        r.path = std::move(path);
        r.body = std::move(body);
        r.query = std::move(query);
        r.base_url = "https://scim.example/scim/v2";
        if (!r.body.empty()) r.headers.emplace_back("content-type", "application/scim+json");
        return api_->handle(r, who, context);
    }

    static json::object obj(const orgscim::scim::response& r) {
        return json::parse(r.body).as_object();
    }

    std::string create_child(const std::string& name, const std::string& parent) {
        auto r = call(alice_, "POST", "/Organizations",
                      json::serialize(json::object{
                          {"schemas", json::array{std::string(organization_schema_urn)}},
                          {"name", name},
                          {"parent", parent}}));
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(obj(r).at("id").as_string());
    }

    // The SCIM service on the fixture's backend, each answer followed as the server follows it
    // (follow_user_write must succeed).
    struct followed_scim {
        explicit followed_scim(orgs_api_test& t, orgscim::scim::caller who)
            : test(t), cred(std::move(who)), svc(scim_cfg, reg(), *t.backend_) {}
        orgscim::scim::response call(std::string method, std::string path, std::string body) {
            orgscim::scim::request r;
            r.method = std::move(method);
            r.path = std::move(path);
            r.body = std::move(body);
            r.base_url = "https://scim.example/scim/v2";
            r.headers.emplace_back("content-type", "application/scim+json");
            auto res = svc.handle(r, cred);
            EXPECT_TRUE(follow_user_write(*test.svc_, r, res, cred));
            return res;
        }
        static const orgscim::scim::schema_registry& reg() {
            static const auto core = [] {
                orgscim::scim::schema_registry r;
                orgscim::scim::register_core_schemas(r);
                return r;
            }();
            return core;
        }
        orgs_api_test& test;
        const orgscim::scim::caller cred;
        const orgscim::scim::config scim_cfg;  // the service keeps a reference
        orgscim::scim::service svc;
    };

    orgscim::testing::temp_dir dir_;
    storage_config cfg_;
    std::unique_ptr<backend> backend_;
    std::unique_ptr<directory_store> store_;
    std::unique_ptr<directory_service> svc_;
    std::unique_ptr<orgs_api> api_;
    std::string msp_, other_;
    actor alice_;
};

TEST_F(orgs_api_test, create_and_read_an_organization) {
    auto r = call(alice_, "POST", "/Organizations",
                  R"({"schemas":["urn:orgscim:params:scim:schemas:core:1.0:Organization"],)"
                  R"("name":"Customer 1","parent":")" +
                      msp_ + R"(","settings":{"invitationExpiryHours":360}})");
    ASSERT_EQ(r.status, 201) << r.body;
    auto o = obj(r);
    EXPECT_EQ(o.at("managedBy").as_string(), msp_);
    EXPECT_EQ(o.at("status").as_string(), "active");
    EXPECT_EQ(o.at("settings").at("invitationExpiryHours").as_int64(), 360);
    EXPECT_EQ(o.at("ancestors").as_array().at(0).as_string(), msp_);
    EXPECT_EQ(o.at("schemas").as_array().at(0).as_string(), organization_schema_urn);
    const std::string id(o.at("id").as_string());
    EXPECT_EQ(o.at("meta").at("location").as_string(),
              "https://scim.example/scim/v2/Organizations/" + id);
    auto g = call(alice_, "GET", "/Organizations/" + id);
    EXPECT_EQ(g.status, 200);
    EXPECT_EQ(obj(g).at("name").as_string(), "Customer 1");
}

TEST_F(orgs_api_test, list_filters_sorts_and_pages_only_visible_orgs) {
    create_child("Beta", msp_);
    create_child("Alpha", msp_);
    auto all = call(alice_, "GET", "/Organizations", {}, {{"sortBy", "name"}});
    ASSERT_EQ(all.status, 200) << all.body;
    auto l = obj(all);
    EXPECT_EQ(l.at("totalResults").as_int64(), 3);  // MSP + 2 children, not Fabrikam
    EXPECT_EQ(l.at("Resources").as_array().at(0).at("name").as_string(), "Alpha");
    auto f = call(alice_, "GET", "/Organizations", {},
                  {{"filter", "parent eq \"" + msp_ + "\" and name sw \"b\""}});
    ASSERT_EQ(f.status, 200) << f.body;
    EXPECT_EQ(obj(f).at("totalResults").as_int64(), 1);
    auto p = call(alice_, "GET", "/Organizations", {},
                  {{"startIndex", "2"}, {"count", "1"}, {"sortBy", "name"}});
    EXPECT_EQ(obj(p).at("Resources").as_array().size(), 1u);
    EXPECT_EQ(obj(p).at("Resources").as_array().at(0).at("name").as_string(), "Beta");
    auto bad = call(alice_, "GET", "/Organizations", {}, {{"filter", "nope eq 1"}});
    EXPECT_EQ(bad.status, 400);
}

TEST_F(orgs_api_test, bad_input_gets_clear_errors_and_changes_nothing) {
    const auto a = create_child("A", msp_);
    const auto a1 = create_child("A1", a);
    // Cycle.
    auto cyc = call(alice_, "PATCH", "/Organizations/" + a,
                    R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                    R"("Operations":[{"op":"replace","path":"parent","value":")" +
                        a1 + R"("}]})");
    EXPECT_EQ(cyc.status, 400) << cyc.body;
    EXPECT_NE(cyc.body.find("own ancestor"), std::string::npos) << cyc.body;
    // Parent in another tree (Fabrikam is invisible to alice: it looks nonexistent).
    auto other = call(alice_, "PATCH", "/Organizations/" + a1,
                      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                      R"("Operations":[{"op":"replace","path":"parent","value":")" +
                          other_ + R"("},{"op":"remove","path":"managedBy"}]})");
    EXPECT_EQ(other.status, 400) << other.body;
    // Top-level creation needs the operator; delete with children needs cascade.
    auto top = call(alice_, "POST", "/Organizations",
                    R"({"schemas":["urn:orgscim:params:scim:schemas:core:1.0:Organization"],)"
                    R"("name":"Top"})");
    EXPECT_EQ(top.status, 400) << top.body;
    auto del = call(alice_, "DELETE", "/Organizations/" + a);
    EXPECT_EQ(del.status, 409) << del.body;
    EXPECT_EQ(call(alice_, "GET", "/Organizations/" + a1).status, 200);
    auto cascade = call(alice_, "DELETE", "/Organizations/" + a, {}, {{"cascade", "true"}});
    EXPECT_EQ(cascade.status, 204) << cascade.body;
    EXPECT_EQ(call(alice_, "GET", "/Organizations/" + a1).status, 404);
    // An org id of another tenant in a path: 404, same as a missing one.
    EXPECT_EQ(call(alice_, "GET", "/Organizations/" + other_).status, 404);
    EXPECT_EQ(call(alice_, "GET", "/Organizations/" + other_ + "/members").status, 404);
    EXPECT_EQ(call(alice_, "GET", "/Organizations/no-such-org/members").status, 404);
}

TEST_F(orgs_api_test, disabling_via_patch_and_events_are_read_only_and_filterable) {
    const auto a = create_child("A", msp_);
    auto d = call(alice_, "PATCH", "/Organizations/" + a,
                  R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                  R"("Operations":[{"op":"replace","path":"status","value":"disabled"}]})");
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(obj(d).at("status").as_string(), "disabled");
    auto ev = call(alice_, "GET", "/Events", {}, {{"filter", "action eq \"org.updated\""}}, a);
    ASSERT_EQ(ev.status, 200) << ev.body;
    auto l = obj(ev);
    ASSERT_EQ(l.at("totalResults").as_int64(), 1);
    EXPECT_EQ(l.at("Resources").as_array().at(0).at("actor").as_string(), alice_.subject);
    auto paged = call(alice_, "GET", "/Events", {}, {{"count", "1"}}, a);
    EXPECT_EQ(obj(paged).at("totalResults").as_int64(), 2);  // created, updated
    EXPECT_EQ(obj(paged).at("Resources").as_array().size(), 1u);
    EXPECT_EQ(call(alice_, "POST", "/Events", "{}", {}, a).status, 400);
    EXPECT_EQ(call(alice_, "DELETE", "/Events/x", {}, {}, a).status, 400);
    EXPECT_EQ(call(alice_, "GET", "/Events", {}, {}, other_).status, 404);
    EXPECT_EQ(call(alice_, "GET", "/Events").status, 400);  // no org context
}

TEST_F(orgs_api_test, members_roles_and_permissions_api) {
    const auto a = create_child("A", msp_);
    auto add = call(alice_, "POST", "/Organizations/" + a + "/members",
                    R"({"issuer":"https://login.example","subject":"bob","displayName":"Bob",)"
                    R"("roles":["manager"]})");
    ASSERT_EQ(add.status, 201) << add.body;
    const std::string bob_id(obj(add).at("identityId").as_string());
    actor bob;
    bob.subject = "https://login.example|bob";
    bob.identity_id = bob_id;
    auto perms = call(bob, "GET", "/Organizations/" + a + "/permissions");
    ASSERT_EQ(perms.status, 200);
    EXPECT_EQ(obj(perms).at("permissions").as_array().size(), 5u);
    // Bob (manager) cannot grant, and cannot see the MSP.
    auto esc = call(bob, "PUT", "/Organizations/" + a + "/members/" + bob_id,
                    R"({"roles":["administrator"]})");
    EXPECT_EQ(esc.status, 403) << esc.body;
    EXPECT_EQ(call(bob, "GET", "/Organizations/" + msp_).status, 404);
    // Custom role + group mapping.
    auto role = call(alice_, "POST", "/Organizations/" + a + "/roles",
                     R"({"name":"Helpdesk","permissions":["readUsers","writeUsers"]})");
    ASSERT_EQ(role.status, 201) << role.body;
    auto badp = call(alice_, "POST", "/Organizations/" + a + "/roles",
                     R"({"name":"X","permissions":["root"]})");
    EXPECT_EQ(badp.status, 400);
    auto gr = call(alice_, "PUT", "/Organizations/" + a + "/groupRoles/g-1",
                   R"({"roles":[")" + std::string(obj(role).at("id").as_string()) + R"("]})");
    EXPECT_EQ(gr.status, 204) << gr.body;
    EXPECT_EQ(obj(call(alice_, "GET", "/Organizations/" + a + "/roles")).at("totalResults"), 8);
    EXPECT_EQ(obj(call(alice_, "GET", "/Organizations/" + a + "/members")).at("totalResults"), 1);
    EXPECT_EQ(call(alice_, "DELETE", "/Organizations/" + a + "/members/" + bob_id).status, 204);
    EXPECT_EQ(obj(call(alice_, "GET", "/Organizations/" + a + "/members")).at("totalResults"), 0);
    EXPECT_EQ(call(alice_, "PUT", "/Organizations/" + a + "/members/x", "not json").status, 400);
}

TEST_F(orgs_api_test, credentials_see_only_their_org) {
    orgscim::scim::caller c{msp_, "token:t1", "t1", true, true};
    const actor tok = actor::from_caller(c);
    auto l = call(tok, "GET", "/Organizations");
    ASSERT_EQ(l.status, 200);
    EXPECT_EQ(obj(l).at("totalResults").as_int64(), 1);
    // A credential cannot manage organizations (no manageOrg) nor read events.
    auto create = call(tok, "POST", "/Organizations",
                       R"({"schemas":["urn:orgscim:params:scim:schemas:core:1.0:Organization"],)"
                       R"("name":"X","parent":")" +
                           msp_ + R"("})");
    EXPECT_EQ(create.status, 403) << create.body;
    EXPECT_EQ(call(tok, "GET", "/Events").status, 403);
}

TEST_F(orgs_api_test, scim_user_writes_drive_identities_and_the_leaver_fan_out) {
    followed_scim scim(*this, {msp_, "token:t1", "t1", true, true});
    auto scim_call = [&](std::string method, std::string path, std::string body) {
        return scim.call(std::move(method), std::move(path), std::move(body));
    };
    auto created = scim_call(
        "POST", "/Users",
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"leo@contoso"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string uid(obj(created).at("id").as_string());
    auto ident = store_->find_identity_by_home_user(msp_, uid);
    ASSERT_TRUE(ident);
    const auto a = create_child("A", msp_);
    const auto b = create_child("B", msp_);
    for (const auto& o : {a, b}) {
        auto r = call(alice_, "PUT", "/Organizations/" + o + "/members/" + ident->id,
                      R"({"kind":"invited","roles":["associate"]})");
        ASSERT_EQ(r.status, 200) << r.body;
    }
    EXPECT_EQ(store_->memberships_of(ident->id)->size(), 3u);
    // active=false in the home org: the leaver leaves every child.
    auto off = scim_call("PATCH", "/Users/" + uid,
                         R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
                         R"("Operations":[{"op":"replace","path":"active","value":false}]})");
    ASSERT_EQ(off.status, 200) << off.body;
    EXPECT_EQ(store_->memberships_of(ident->id)->size(), 1u);
    auto ev =
        call(alice_, "GET", "/Events", {}, {{"filter", "action eq \"member.deprovisioned\""}}, a);
    EXPECT_EQ(obj(ev).at("totalResults").as_int64(), 1) << ev.body;
    // DELETE: the identity goes.
    EXPECT_EQ(scim_call("DELETE", "/Users/" + uid, {}).status, 204);
    EXPECT_EQ(store_->get_identity(ident->id).error(), store_errc::not_found);
}

TEST_F(orgs_api_test, bulk_user_operations_are_followed_like_single_requests) {
    followed_scim scim(*this, {msp_, "token:t1", "t1", true, true, true});
    auto bulk = [&](std::string body) { return scim.call("POST", "/Bulk", std::move(body)); };
    auto made = bulk(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations":[
          {"method":"POST","path":"/Users","bulkId":"a","data":{
             "schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@contoso"}},
          {"method":"POST","path":"/Users","bulkId":"b","data":{
             "schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob@contoso"}}]})");
    ASSERT_EQ(made.status, 200) << made.body;
    std::vector<std::string> ids;
    const auto made_body = obj(made);
    for (const auto& op : made_body.at("Operations").as_array()) {
        const std::string loc(op.at("location").as_string());
        ids.push_back(loc.substr(loc.rfind('/') + 1));
    }
    ASSERT_EQ(ids.size(), 2u);
    auto ann = store_->find_identity_by_home_user(msp_, ids[0]);
    auto bob = store_->find_identity_by_home_user(msp_, ids[1]);
    ASSERT_TRUE(ann);
    ASSERT_TRUE(bob);
    EXPECT_EQ(ann->display, "ann@contoso");
    const auto a = create_child("A", msp_);
    ASSERT_EQ(call(alice_, "PUT", "/Organizations/" + a + "/members/" + bob->id,
                   R"({"kind":"invited","roles":["associate"]})")
                  .status,
              200);

    // Entra's disable shape inside a Bulk, and a delete: both leave everywhere.
    auto gone = bulk(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations":[
          {"method":"PATCH","path":"/Users/)" +
                     ids[1] + R"(","data":{
             "schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations":[{"op":"Replace","path":"active","value":"False"}]}},
          {"method":"DELETE","path":"/Users/)" +
                     ids[0] + R"("}]})");
    ASSERT_EQ(gone.status, 200) << gone.body;
    EXPECT_FALSE(store_->find_identity_by_home_user(msp_, ids[0]));
    auto ms = store_->memberships_of(bob->id);
    ASSERT_TRUE(ms);
    ASSERT_EQ(ms->size(), 1u);  // only the home membership is left
    EXPECT_EQ(ms->front().org_id, msp_);
}

}  // namespace
