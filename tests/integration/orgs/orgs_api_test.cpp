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

// Issue 5: SCIM writes in a child on members it lists but does not hold as home Users, served
// as the app serves them (admit, the SCIM service with member_write_hook, follow_user_write) with
// the membership extension registered. The child holds: bob, an MSP User invited with a copy
// User in the child; dave, an MSP member added to the child through the API (no User there);
// carol, an MSP User with a role in the MSP, so inherited in every child the MSP manages.
class member_writes : public orgs_api_test {
  protected:
    void SetUp() override {
        orgs_api_test::SetUp();
        orgscim::scim::register_core_schemas(reg_);
        register_membership_extension(reg_);
        users_ = reg_.find_by_id("User");
        service_ = std::make_unique<orgscim::scim::service>(scim_cfg_, reg_, *backend_);
        service_->set_write_hook(member_write_hook(*svc_, *backend_, *users_));
        child_ = create_child("Customer", msp_);
        sibling_ = create_child("Sibling", msp_);
        auto home_user = [&](const std::string& name) {
            auto r = scim(msp_, "POST", "/Users",
                          R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                          R"("userName":")" +
                              name + R"("})");
            EXPECT_EQ(r.status, 201) << r.body;
            const std::string id(obj(r).at("id").as_string());
            auto ident = store_->find_identity_by_home_user(msp_, id);
            EXPECT_TRUE(ident);
            return std::pair{id, ident ? *ident : identity_record{}};
        };
        std::tie(bob_user_, bob_) = home_user("bob@contoso");
        std::tie(carol_user_, carol_) = home_user("carol@contoso");
        // carol gets a role in the MSP: it flows into the children the MSP manages.
        ASSERT_TRUE(svc_->put_member(actor::cli(), msp_, carol_, membership_kind::home,
                                     {{"read-only"}, false, {}}));
        // bob accepted an invitation: a copy User in the child, an invited membership naming it.
        orgscim::scim::write_set copy;
        copy.attrs["userName"] = "bob@contoso";
        auto c = backend_->create(child_, *users_, copy);
        ASSERT_TRUE(c);
        bob_copy_ = c->id;
        ASSERT_TRUE(svc_->put_member(actor::cli(), child_, bob_, membership_kind::invited,
                                     {{"read-only"}, false, bob_copy_}));
        // dave: an MSP member without a User, added to the child through the membership API.
        identity_record d;
        d.issuer = "https://login.example";
        d.subject = "dave";
        auto dm = svc_->put_member(actor::cli(), msp_, d, membership_kind::home, {{}, false, {}});
        ASSERT_TRUE(dm);
        dave_ = dm->identity_id;
        ASSERT_EQ(call(alice_, "PUT", "/Organizations/" + child_ + "/members/" + dave_,
                       R"({"kind":"invited","roles":["associate"]})")
                      .status,
                  200);
    }

    orgscim::scim::response scim(const std::string& org,
                                 std::string method,
                                 std::string path,
                                 std::string body = {},
                                 bool can_write = true,
                                 std::string if_match = {}) {
        const orgscim::scim::caller who{org, "token:" + org, org, true, can_write};
        orgscim::scim::request r;
        r.method = std::move(method);
        r.path = std::move(path);
        r.body = std::move(body);
        r.base_url = "https://scim.example/scim/v2";
        if (!r.body.empty()) r.headers.emplace_back("content-type", "application/scim+json");
        if (!if_match.empty()) r.headers.emplace_back("if-match", std::move(if_match));
        if (auto ok = admit_scim_request(*svc_, r, who); !ok) return error(ok.error());
        auto res = service_->handle(r, who);
        EXPECT_TRUE(follow_user_write(*svc_, r, res, who));
        return res;
    }

    static orgscim::scim::response error(const orgscim::scim::error& e) {
        orgscim::scim::response r;
        r.status = e.status;
        r.body = orgscim::scim::to_body(e);
        return r;
    }

    std::string kind_in(const std::string& org, const std::string& id) {
        auto r = scim(org, "GET", "/Users/" + id);
        if (r.status != 200) return "status " + std::to_string(r.status);
        return std::string(obj(r).at(std::string(membership_extension_urn)).at("kind").as_string());
    }

    std::int64_t events(const std::string& org, const std::string& filter) {
        auto ev = call(alice_, "GET", "/Events", {}, {{"filter", filter}}, org);
        EXPECT_EQ(ev.status, 200) << ev.body;
        return obj(ev).at("totalResults").as_int64();
    }

    static std::string patch_body() {
        return R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],)"
               R"("Operations":[{"op":"replace","path":"displayName","value":"X"}]})";
    }

    orgscim::scim::schema_registry reg_;
    const orgscim::scim::resource_type* users_ = nullptr;
    const orgscim::scim::config scim_cfg_;
    std::unique_ptr<orgscim::scim::service> service_;
    std::string child_, sibling_, bob_user_, carol_user_, bob_copy_, dave_;
    identity_record bob_, carol_;
};

TEST_F(member_writes, the_child_lists_every_kind_and_refuses_put_and_patch_on_non_home_members) {
    EXPECT_EQ(kind_in(child_, bob_copy_), "invited");
    EXPECT_EQ(kind_in(child_, dave_), "invited");
    EXPECT_EQ(kind_in(child_, carol_.id), "inherited");
    for (const auto& id : {bob_copy_, dave_, carol_.id}) {
        auto put = scim(child_, "PUT", "/Users/" + id,
                        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                        R"("userName":"renamed"})");
        EXPECT_EQ(put.status, 400) << put.body;
        EXPECT_EQ(obj(put).at("scimType").as_string(), "mutability") << put.body;
        EXPECT_NE(put.body.find(msp_), std::string::npos) << "names the home org: " << put.body;
        auto patch = scim(child_, "PATCH", "/Users/" + id, patch_body());
        EXPECT_EQ(patch.status, 400) << patch.body;
        EXPECT_EQ(obj(patch).at("scimType").as_string(), "mutability");
    }
    // Nothing changed: the copy keeps its name, the home Users theirs.
    EXPECT_EQ(obj(scim(child_, "GET", "/Users/" + bob_copy_)).at("userName").as_string(),
              "bob@contoso");
    EXPECT_EQ(obj(scim(msp_, "GET", "/Users/" + carol_user_)).at("userName").as_string(),
              "carol@contoso");
    // A read-only credential is refused by the SCIM service as for any User.
    EXPECT_EQ(scim(child_, "DELETE", "/Users/" + dave_, {}, false).status, 403);
    EXPECT_TRUE(store_->get_membership(child_, dave_));
}

TEST_F(member_writes, delete_ends_the_membership_in_the_child_and_never_the_home_user) {
    // Invited with a copy User: the membership and the copy go, with an event.
    auto del = scim(child_, "DELETE", "/Users/" + bob_copy_);
    ASSERT_EQ(del.status, 204) << del.body;
    EXPECT_EQ(store_->get_membership(child_, bob_.id).error(), store_errc::not_found);
    EXPECT_EQ(backend_->get(child_, *users_, bob_copy_, {}).error(), store_errc::not_found);
    EXPECT_EQ(scim(child_, "DELETE", "/Users/" + bob_copy_).status, 404);  // gone
    EXPECT_EQ(kind_in(msp_, bob_user_), "home");
    EXPECT_TRUE(store_->get_identity(bob_.id));
    EXPECT_TRUE(store_->get_membership(msp_, bob_.id));
    EXPECT_EQ(events(child_, "action eq \"member.removed\" and targetId eq \"" + bob_.id + "\""),
              1);

    // Added through the API, no User in the child: the membership goes.
    ASSERT_EQ(scim(child_, "DELETE", "/Users/" + dave_).status, 204);
    EXPECT_EQ(store_->get_membership(child_, dave_).error(), store_errc::not_found);
    EXPECT_TRUE(store_->get_membership(msp_, dave_));
    EXPECT_EQ(kind_in(child_, dave_), "status 404");
    EXPECT_EQ(events(child_, "action eq \"member.removed\" and targetId eq \"" + dave_ + "\""), 1);

    // Inherited: an override without roles ends carol's access in the child (and below); the
    // MSP keeps her, with her role, and the sibling still lists her.
    ASSERT_EQ(scim(child_, "DELETE", "/Users/" + carol_.id).status, 204);
    auto stop = store_->get_membership(child_, carol_.id);
    ASSERT_TRUE(stop);
    EXPECT_TRUE(stop->override_inherited);
    EXPECT_TRUE(stop->roles.empty());
    EXPECT_EQ(stop->kind, membership_kind::inherited);
    EXPECT_EQ(kind_in(child_, carol_.id), "status 404");
    actor carol_as_person;
    carol_as_person.subject = "carol";
    carol_as_person.identity_id = carol_.id;
    EXPECT_TRUE(svc_->permissions(carol_as_person, child_)->empty());
    EXPECT_FALSE(svc_->permissions(carol_as_person, sibling_)->empty());
    EXPECT_EQ(kind_in(sibling_, carol_.id), "inherited");
    EXPECT_EQ(kind_in(msp_, carol_user_), "home");
    EXPECT_EQ(store_->get_membership(msp_, carol_.id)->roles,
              std::vector<std::string>{"read-only"});
    auto ev = call(
        alice_, "GET", "/Events", {},
        {{"filter", "action eq \"member.removed\" and targetId eq \"" + carol_.id + "\""}}, child_);
    ASSERT_EQ(obj(ev).at("totalResults").as_int64(), 1) << ev.body;
    const auto detail =
        json::parse(obj(ev).at("Resources").as_array().at(0).at("detail").as_string()).as_object();
    EXPECT_EQ(detail.at("kind").as_string(), "inherited");
    EXPECT_EQ(detail.at("overrideInherited").as_bool(), true);

    // The child's list holds none of them any more, only alice (inherited from the MSP).
    auto list = scim(child_, "GET", "/Users");
    ASSERT_EQ(list.status, 200) << list.body;
    EXPECT_EQ(obj(list).at("totalResults").as_int64(), 1) << list.body;
}

TEST_F(member_writes, other_orgs_get_404_for_the_childs_members) {
    const auto unrelated = other_;
    for (const auto& id : {bob_copy_, dave_}) {
        EXPECT_EQ(scim(sibling_, "DELETE", "/Users/" + id).status, 404) << id;
        EXPECT_EQ(scim(sibling_, "PATCH", "/Users/" + id, patch_body()).status, 404) << id;
        EXPECT_EQ(scim(sibling_, "GET", "/Users/" + id).status, 404) << id;
    }
    for (const auto& id : {bob_copy_, dave_, carol_.id}) {
        EXPECT_EQ(scim(unrelated, "DELETE", "/Users/" + id).status, 404) << id;
        EXPECT_EQ(scim(unrelated, "PUT", "/Users/" + id,
                       R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                       R"("userName":"x"})")
                      .status,
                  404)
            << id;
    }
    // Nothing moved in the child.
    EXPECT_TRUE(store_->get_membership(child_, bob_.id));
    EXPECT_TRUE(store_->get_membership(child_, dave_));
    EXPECT_EQ(store_->get_membership(child_, carol_.id).error(), store_errc::not_found);
    EXPECT_EQ(kind_in(child_, carol_.id), "inherited");
    EXPECT_EQ(events(child_, "action eq \"member.removed\""), 0);
}

TEST_F(member_writes, the_last_access_manager_is_not_removed_through_scim_either) {
    // dave becomes the child's only direct access manager.
    ASSERT_EQ(call(alice_, "PUT", "/Organizations/" + child_ + "/members/" + dave_,
                   R"({"kind":"invited","roles":["full-admin-access"]})")
                  .status,
              200);
    auto del = scim(child_, "DELETE", "/Users/" + dave_);
    EXPECT_EQ(del.status, 409) << del.body;
    EXPECT_TRUE(store_->get_membership(child_, dave_));
    EXPECT_EQ(events(child_, "action eq \"member.removed\""), 0);
}

// The Bulk request body of `ops` (each a JSON operation object).
static std::string bulk_of(const std::vector<std::string>& ops, int fail_on_errors = 0) {
    std::string b = R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],)";
    if (fail_on_errors > 0) b += R"("failOnErrors":)" + std::to_string(fail_on_errors) + ",";
    b += R"("Operations":[)";
    for (std::size_t i = 0; i < ops.size(); ++i) b += (i ? "," : "") + ops[i];
    return b + "]}";
}

static std::string bulk_op(const std::string& method,
                           const std::string& path,
                           std::string data = {}) {
    std::string o = R"({"method":")" + method + R"(","path":")" + path + '"';
    if (!data.empty()) o += R"(,"data":)" + data;
    return o + "}";
}

TEST_F(member_writes, bulk_delete_ends_memberships_like_the_single_request) {
    auto res = scim(child_, "POST", "/Bulk",
                    bulk_of({bulk_op("DELETE", "/Users/" + bob_copy_),
                             bulk_op("DELETE", "/Users/" + carol_.id)}));
    ASSERT_EQ(res.status, 200) << res.body;
    const auto ops = obj(res).at("Operations").as_array();
    ASSERT_EQ(ops.size(), 2u) << res.body;
    EXPECT_EQ(ops[0].at("status").as_string(), "204") << res.body;
    EXPECT_EQ(ops[1].at("status").as_string(), "204") << res.body;

    // Invited with a copy: membership and copy gone, the home User and identity stay.
    EXPECT_EQ(store_->get_membership(child_, bob_.id).error(), store_errc::not_found);
    EXPECT_EQ(backend_->get(child_, *users_, bob_copy_, {}).error(), store_errc::not_found);
    EXPECT_EQ(kind_in(msp_, bob_user_), "home");
    EXPECT_TRUE(store_->get_identity(bob_.id));
    EXPECT_TRUE(store_->get_membership(msp_, bob_.id));
    EXPECT_EQ(events(child_, "action eq \"member.removed\" and targetId eq \"" + bob_.id + "\""),
              1);
    // Inherited: an override without roles; the MSP keeps her with her role.
    auto stop = store_->get_membership(child_, carol_.id);
    ASSERT_TRUE(stop);
    EXPECT_TRUE(stop->override_inherited);
    EXPECT_TRUE(stop->roles.empty());
    EXPECT_EQ(kind_in(child_, carol_.id), "status 404");
    EXPECT_EQ(kind_in(sibling_, carol_.id), "inherited");
    EXPECT_EQ(kind_in(msp_, carol_user_), "home");
    EXPECT_TRUE(store_->get_identity(carol_.id));
    EXPECT_EQ(store_->get_membership(msp_, carol_.id)->roles,
              std::vector<std::string>{"read-only"});
    EXPECT_EQ(events(child_, "action eq \"member.removed\" and targetId eq \"" + carol_.id + "\""),
              1);
    // Nobody was deprovisioned: the follow-up of the Bulk saw no home User go.
    EXPECT_EQ(events(msp_, "action eq \"identity.deprovisioned\""), 0);

    // A second Bulk DELETE of the same ids finds nothing, as the single request does.
    auto again = scim(child_, "POST", "/Bulk",
                      bulk_of({bulk_op("DELETE", "/Users/" + bob_copy_),
                               bulk_op("DELETE", "/Users/" + carol_.id)}));
    ASSERT_EQ(again.status, 200) << again.body;
    const auto again_ops = obj(again).at("Operations").as_array();
    ASSERT_EQ(again_ops.size(), 2u) << again.body;
    for (const auto& op : again_ops) {
        EXPECT_EQ(op.at("status").as_string(), "404") << again.body;
    }
}

TEST_F(member_writes, bulk_put_and_patch_on_non_home_members_fail_that_operation_only) {
    const std::string user_data =
        R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"renamed"})";
    auto res = scim(child_, "POST", "/Bulk",
                    bulk_of({bulk_op("PATCH", "/Users/" + bob_copy_, patch_body()),
                             bulk_op("PUT", "/Users/" + dave_, user_data),
                             bulk_op("PATCH", "/Users/" + carol_.id, patch_body()),
                             bulk_op("POST", "/Users",
                                     R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                                     R"("userName":"erin@customer"})")}));
    ASSERT_EQ(res.status, 200) << res.body;
    // POST needs a bulkId: the fourth is refused by Bulk itself, the first three by the rule.
    const auto ops = obj(res).at("Operations").as_array();
    ASSERT_EQ(ops.size(), 4u) << res.body;
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(ops[i].at("status").as_string(), "400") << res.body;
        const auto& r = ops[i].at("response").as_object();
        EXPECT_EQ(r.at("scimType").as_string(), "mutability") << res.body;
        EXPECT_NE(json::serialize(r).find(msp_), std::string::npos) << res.body;
    }
    EXPECT_EQ(obj(scim(child_, "GET", "/Users/" + bob_copy_)).at("userName").as_string(),
              "bob@contoso");
    EXPECT_EQ(obj(scim(child_, "GET", "/Users/" + dave_)).at("userName").as_string(), "dave");
    EXPECT_EQ(obj(scim(msp_, "GET", "/Users/" + carol_user_)).at("userName").as_string(),
              "carol@contoso");

    // failOnErrors counts the refusal: the DELETE after it is not run.
    auto stopped = scim(child_, "POST", "/Bulk",
                        bulk_of({bulk_op("PATCH", "/Users/" + dave_, patch_body()),
                                 bulk_op("DELETE", "/Users/" + carol_.id)},
                                1));
    ASSERT_EQ(stopped.status, 200) << stopped.body;
    const auto stopped_ops = obj(stopped).at("Operations").as_array();
    ASSERT_EQ(stopped_ops.size(), 1u) << stopped.body;
    EXPECT_EQ(stopped_ops[0].at("status").as_string(), "400");
    EXPECT_EQ(kind_in(child_, carol_.id), "inherited");
    EXPECT_EQ(events(child_, "action eq \"member.removed\""), 0);
}

TEST_F(member_writes, bulk_on_the_childs_home_users_is_unchanged) {
    auto made = scim(child_, "POST", "/Bulk",
                     bulk_of({R"({"method":"POST","path":"/Users","bulkId":"e","data":{)"
                              R"("schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                              R"("userName":"erin@customer"}})",
                              bulk_op("PATCH", "/Users/bulkId:e", patch_body())}));
    ASSERT_EQ(made.status, 200) << made.body;
    const auto ops = obj(made).at("Operations").as_array();
    ASSERT_EQ(ops.size(), 2u) << made.body;
    EXPECT_EQ(ops[0].at("status").as_string(), "201") << made.body;
    EXPECT_EQ(ops[1].at("status").as_string(), "200") << made.body;
    const std::string loc(ops[0].at("location").as_string());
    const auto erin = loc.substr(loc.rfind('/') + 1);
    EXPECT_EQ(kind_in(child_, erin), "home");
    EXPECT_EQ(obj(scim(child_, "GET", "/Users/" + erin)).at("displayName").as_string(), "X");
    auto ident = store_->find_identity_by_home_user(child_, erin);
    ASSERT_TRUE(ident);

    // PUT works on a home User, and DELETE deprovisions the identity as before.
    auto gone =
        scim(child_, "POST", "/Bulk",
             bulk_of({bulk_op("PUT", "/Users/" + erin,
                              R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],)"
                              R"("userName":"erin2@customer"})"),
                      bulk_op("DELETE", "/Users/" + erin)}));
    ASSERT_EQ(gone.status, 200) << gone.body;
    const auto gone_ops = obj(gone).at("Operations").as_array();
    ASSERT_EQ(gone_ops.size(), 2u) << gone.body;
    EXPECT_EQ(gone_ops[0].at("status").as_string(), "200") << gone.body;
    EXPECT_EQ(gone_ops[1].at("status").as_string(), "204") << gone.body;
    EXPECT_EQ(backend_->get(child_, *users_, erin, {}).error(), store_errc::not_found);
    EXPECT_EQ(store_->get_identity(ident->id).error(), store_errc::not_found);
    EXPECT_EQ(events(child_, "action eq \"member.removed\""), 0);
}

TEST_F(member_writes, if_match_on_a_non_home_delete_is_checked_against_the_listed_version) {
    auto version_of = [&](const std::string& id) {
        auto r = scim(child_, "GET", "/Users/" + id);
        EXPECT_EQ(r.status, 200) << r.body;
        return std::string(obj(r).at("meta").at("version").as_string());
    };
    // The copy's version is the copy User's; it moves when the copy is written.
    const auto copy_v = version_of(bob_copy_);
    ASSERT_TRUE(backend_->update(child_, *users_, bob_copy_, std::nullopt, {},
                                 [](const orgscim::scim::resource_record& cur) {
                                     orgscim::scim::write_set w;
                                     w.attrs = cur.attrs;
                                     w.attrs["displayName"] = "Bob";
                                     return orgscim::scim::result<orgscim::scim::write_set>(w);
                                 }));
    const auto copy_now = version_of(bob_copy_);
    ASSERT_NE(copy_v, copy_now);
    auto stale = scim(child_, "DELETE", "/Users/" + bob_copy_, {}, true, copy_v);
    EXPECT_EQ(stale.status, 412) << stale.body;
    EXPECT_EQ(obj(stale).at("status").as_string(), "412");
    EXPECT_EQ(scim(child_, "DELETE", "/Users/" + bob_copy_, {}, true, "not-a-version").status, 412);
    EXPECT_TRUE(store_->get_membership(child_, bob_.id));
    EXPECT_TRUE(backend_->get(child_, *users_, bob_copy_, {}));
    EXPECT_EQ(events(child_, "action eq \"member.removed\""), 0);
    EXPECT_EQ(scim(child_, "DELETE", "/Users/" + bob_copy_, {}, true, copy_now).status, 204);
    EXPECT_EQ(store_->get_membership(child_, bob_.id).error(), store_errc::not_found);

    // Inherited and API-added members show the home User's version (1 without a home User).
    EXPECT_EQ(version_of(dave_), "W/\"1\"");
    EXPECT_EQ(scim(child_, "DELETE", "/Users/" + dave_, {}, true, "W/\"2\"").status, 412);
    EXPECT_TRUE(store_->get_membership(child_, dave_));
    EXPECT_EQ(scim(child_, "DELETE", "/Users/" + dave_, {}, true, "W/\"1\"").status, 204);

    const auto carol_v = version_of(carol_.id);
    auto home = scim(msp_, "GET", "/Users/" + carol_user_);
    EXPECT_EQ(obj(home).at("meta").at("version").as_string(), carol_v);
    ASSERT_EQ(scim(msp_, "PATCH", "/Users/" + carol_user_, patch_body()).status, 200);
    EXPECT_NE(version_of(carol_.id), carol_v);
    // A stale version inside a Bulk operation: 412 for that operation, nothing changes.
    auto bulk = scim(child_, "POST", "/Bulk",
                     bulk_of({R"({"method":"DELETE","path":"/Users/)" + carol_.id +
                              R"(","version":)" + json::serialize(json::value(carol_v)) + "}"}));
    ASSERT_EQ(bulk.status, 200) << bulk.body;
    EXPECT_EQ(obj(bulk).at("Operations").as_array().at(0).at("status").as_string(), "412")
        << bulk.body;
    EXPECT_EQ(kind_in(child_, carol_.id), "inherited");
    EXPECT_EQ(store_->get_membership(child_, carol_.id).error(), store_errc::not_found);
    EXPECT_EQ(scim(child_, "DELETE", "/Users/" + carol_.id, {}, true, version_of(carol_.id)).status,
              204);
    EXPECT_EQ(kind_in(child_, carol_.id), "status 404");
}
