// orgscim migrate / export / import-db below the CLI (issue 7): an SQLite database filled through
// the real stores is exported, imported into a fresh PostgreSQL database of the throwaway cluster,
// and every object reads back equal through the PostgreSQL stores; the PostgreSQL copy exports to
// the same rows and goes back into SQLite. Refusals (non-empty target, other schema version,
// truncated stream) leave the target as it was.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <latch>
#include <mutex>
#include <numeric>
#include <orgscim/plugin/orgs/orgs_api.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/plugin/storage/directory_store.hpp>
#include <orgscim/plugin/storage/invitation_backend.hpp>
#include <orgscim/plugin/storage/oauth_store.hpp>
#include <orgscim/plugin/storage/transfer.hpp>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/schema.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "postgres/postgres_migrations.hpp"
#include "secrets.hpp"
#include "sqlite/sqlite_migrations.hpp"
#include "store_databases.hpp"

namespace orgscim::store_tests {
namespace {

namespace json = boost::json;
using plugin::storage_config;
using plugin::transfer_error;

constexpr std::int64_t t0 = 1'700'000'000'000;

json::value opt(const std::optional<std::string>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}
json::value opt(const std::optional<std::int64_t>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}
template <class T>
T must(scim::store_result<T> r, const char* what) {
    if (!r)
        throw std::runtime_error(std::string(what) + ": " +
                                 std::string(scim::to_string(r.error())));
    if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// The ids of what fill() creates, for reading it back from any backend.
struct fixture_ids {
    std::string root, child;
    std::string secret;  ///< the provisioning secret (its hash is what is stored)
    std::string alice, bob, admins;
    std::string identity;
    std::string invitation, request;
    /// History rows written with the access request (the store has no reader for them).
    std::size_t request_history = 0;
};

class transfer : public ::testing::Test {
  protected:
    void SetUp() override {
        if (auto why = postgres_database::skip_reason()) GTEST_SKIP() << *why;
        scim::register_core_schemas(reg_);
        plugin::orgs::register_membership_extension(
            reg_);  // a User page lists every kind of member
        user_ = reg_.find_by_id("User");
        group_ = reg_.find_by_id("Group");
        sqlite_.backend = "sqlite";
        sqlite_.sqlite.path = dir_.path() + "/old.db";
    }

    std::function<std::int64_t()> clock() {
        return [this] { return now_.load(); };
    }

    // Everything orgscim keeps, written through the stores as the server writes it.
    fixture_ids fill(const storage_config& cfg) {
        fixture_ids ids;
        auto admin = plugin::open_backend(cfg);
        ids.root = must(admin->create_org("Acme", std::nullopt), "org").id;
        now_ += 10;
        ids.child = must(admin->create_org("Acme EU", ids.root), "child org").id;
        auto issued =
            must(plugin::issue_secret(*admin, ids.root, "entra", t0 + 86'400'000, true), "token");
        ids.secret = issued.secret;
        auto old = must(plugin::issue_secret(*admin, ids.child, "old", std::nullopt, false),
                        "read-only token");
        must(admin->revoke_token(old.info.id, t0 + 5), "revoke");

        const auto create = [&](const scim::resource_type& type, json::object attrs,
                                std::vector<std::string> members = {}) {
            scim::write_set w;
            w.attrs = std::move(attrs);
            w.add_members = std::move(members);
            return must(admin->create(ids.root, type, w), "resource").id;
        };
        ids.alice = create(*user_, json::parse(R"({"userName": "alice@acme.example",
            "displayName": "Alice Ä", "externalId": "ext-1", "active": true,
            "emails": [{"value": "Alice@Acme.example", "primary": true}, {"value": "a@home.example"}],
            "name": {"givenName": "Alice", "familyName": "Ärger"}})")
                                       .as_object());
        ids.bob = create(*user_, json::object{{"userName", "bob"}});
        ids.admins = create(*group_, json::object{{"displayName", "Admins"}}, {ids.alice, ids.bob});

        auto dir = plugin::open_directory(cfg, clock());
        must(dir->write([&](plugin::directory_tx& tx) -> plugin::store_result<void> {
            auto child = must(tx.get_org(ids.child), "child");
            child.managed_by = ids.root;
            child.settings = json::object{{"invitationExpiryHours", 360}};
            must(tx.update_org(child, std::nullopt), "update org");
            plugin::identity_record who;
            who.issuer = "https://op.example";
            who.subject = "sub-alice";
            who.home_org = ids.root;
            who.home_user_id = ids.alice;
            who.display = "Alice";
            ids.identity = must(tx.put_identity(who), "identity").id;
            plugin::membership_record m;
            m.org_id = ids.child;
            m.identity_id = ids.identity;
            m.kind = plugin::membership_kind::invited;
            m.home_org = ids.root;
            m.override_inherited = true;
            m.roles = {"Administrator", "Billing"};
            must(tx.put_membership(m), "membership");
            // Bob's roles in the root flow into the managed child (member_flow).
            plugin::identity_record bob;
            bob.home_org = ids.root;
            bob.home_user_id = ids.bob;
            bob.display = "Bob";
            plugin::membership_record home;
            home.org_id = ids.root;
            home.identity_id = must(tx.put_identity(bob), "identity").id;
            home.kind = plugin::membership_kind::home;
            home.home_org = ids.root;
            home.user_ref = ids.bob;
            home.roles = {"Administrator"};
            must(tx.put_membership(home), "home membership");
            plugin::custom_role_record role{ids.root, "", "Auditor", 5};
            auto r = must(tx.put_custom_role(role), "role");
            const std::vector<std::string> roles{r.id};
            must(tx.set_group_roles(ids.root, ids.admins, roles), "group roles");
            plugin::event_draft ev{ids.root,
                                   "cli",
                                   "",
                                   "member.roles_changed",
                                   "identity",
                                   ids.identity,
                                   json::object{{"roles", json::array{"Billing"}}}};
            must(tx.append_event(ev), "event");
            return {};
        }),
             "directory write");

        auto inv = plugin::open_invitation_backend(cfg);
        plugin::invitation_write w;
        auto& rec = w.record;
        rec.id = "inv-1";
        rec.org_id = ids.root;
        rec.kind = "member";
        rec.status = "pending";
        rec.email = "carol@example.com";
        rec.display_name = "Carol";
        rec.roles = {"Associate"};
        rec.groups = {ids.admins};
        rec.inviter = "https://op.example|sub-alice";
        rec.token_hash = "hash-inv-1";
        rec.created_ms = rec.modified_ms = rec.last_sent_ms = t0;
        rec.expires_ms = t0 + 7 * 86'400'000;
        rec.delivery = "queued";
        plugin::outbox_message mail;
        mail.org_id = ids.root;
        mail.ref = "invitation:inv-1";
        mail.template_name = "invitation";
        mail.to = rec.email;
        mail.subject = "Join Acme";
        mail.text = "https://orgscim.example/accept#t";
        mail.html = "<p>join</p>";
        mail.next_attempt_ms = mail.created_ms = t0;
        w.effects.mail.push_back(mail);
        w.effects.history.push_back({t0, "created", rec.inviter, ""});
        w.effects.history.push_back({t0 + 1, "sent", "system", "queued"});
        auto outcome = must(inv->insert_invitations({w}, false, t0), "invitation");
        ids.invitation = must(std::move(outcome.at(0)), "invitation item").id;
        plugin::access_request_write req;
        req.record.id = "req-1";
        req.record.org_id = ids.root;
        req.record.status = "pending";
        req.record.requester = "https://op.example|sub-dave";
        req.record.email = "dave@example.com";
        req.record.display_name = "Dave";
        req.record.reason = "please";
        req.record.created_ms = req.record.modified_ms = req.record.last_notified_ms = t0;
        req.effects.history.push_back({t0, "created", req.record.requester, ""});
        ids.request = must(inv->insert_access_request(req), "access request").id;
        ids.request_history = req.effects.history.size();

        auto oauth = plugin::open_oauth_store(cfg, clock());
        plugin::oauth_client_info c;
        c.client_id = "oc_one";
        c.org_id = ids.root;
        c.name = "Deploy";
        c.permissions = 1;
        c.created_ms = t0;
        c.secrets.push_back({"sec_1", "hash-1", t0, std::nullopt});
        c.secrets.push_back({"sec_2", "hash-2", t0 + 1, t0 + 99});
        must(oauth->create_client(c), "client");
        must(oauth->add_federated("oc_one", {"https://token.actions.example", "repo:acme/x"}),
             "federated");
        must(oauth->signing_keys(), "keys");
        must(
            oauth->add_signing_key({"kid-1", "ES256", "-----BEGIN PRIVATE KEY-----\nMIG...\n", t0}),
            "signing key");
        return ids;
    }

    json::object resource_json(const scim::resource_record& r) {
        json::array members;
        for (const auto& m : r.members) members.push_back(json::array{m.value, m.type, m.display});
        json::array groups;
        for (const auto& g : r.groups) groups.push_back(json::array{g.value, g.type, g.display});
        return {{"id", r.id},
                {"attrs", r.attrs},
                {"created", r.meta.created_ms},
                {"modified", r.meta.modified_ms},
                {"version", r.meta.version},
                {"members", std::move(members)},
                {"groups", std::move(groups)}};
    }

    // What the stores of `cfg` return for every object of the fixture, as one JSON document.
    json::object read_back(const storage_config& cfg, const fixture_ids& ids) {
        json::object out;
        auto admin = plugin::open_backend(cfg);
        json::array orgs;
        for (const auto& o : must(admin->list_orgs(), "orgs")) {
            orgs.push_back(json::array{o.id, o.name, opt(o.parent_id), o.status, o.created_ms});
            json::array tokens;
            for (const auto& t : must(admin->list_tokens(o.id), "tokens")) {
                tokens.push_back(json::array{t.id, t.name, t.created_ms, opt(t.expires_ms),
                                             opt(t.revoked_ms), t.can_write});
            }
            out["tokens:" + o.id] = std::move(tokens);
        }
        out["orgs"] = std::move(orgs);

        for (const auto* type : {user_, group_}) {
            scim::list_request req;
            req.limit = 100;
            const auto list = must(admin->list(ids.root, *type, req), "list");
            json::array items;
            for (const auto& r : list.items) items.push_back(resource_json(r));
            out["scim:" + type->id] = std::move(items);
            out["total:" + type->id] = list.total;  // SQLite: from resource_counts
        }
        {
            // The child lists Bob as inherited through member_flow.
            scim::list_request req;
            req.limit = 100;
            const auto list = must(admin->list(ids.child, *user_, req), "child list");
            json::array items;
            for (const auto& r : list.items) items.push_back(resource_json(r));
            out["child:User"] = std::move(items);
            out["child:total"] = list.total;
        }
        // An email filter runs on the resource_emails rows.
        auto filter = scim::parse_filter("emails.value eq \"alice@acme.EXAMPLE\"");
        if (!filter || !scim::bind(**filter, *user_)) throw std::runtime_error("email filter");
        scim::list_request by_email;
        by_email.filter = filter->get();
        out["by_email"] = must(admin->list(ids.root, *user_, by_email), "email filter").total;

        auto dir = plugin::open_directory(cfg, clock());
        json::array nodes;
        for (const auto& o : must(dir->list_orgs(), "directory orgs")) {
            json::array ancestors;
            for (const auto& a : o.ancestors) ancestors.push_back(json::value(a));
            nodes.push_back(json::array{o.id, o.name, opt(o.parent_id), o.status, opt(o.managed_by),
                                        o.settings, std::move(ancestors), o.created_ms,
                                        o.modified_ms, o.version});
        }
        out["directory"] = std::move(nodes);
        const auto who = must(dir->get_identity(ids.identity), "identity");
        out["identity"] = json::array{who.id,        opt(who.issuer),       opt(who.subject),
                                      who.home_org,  opt(who.home_user_id), who.display,
                                      who.created_ms};
        json::array members;
        for (const auto& m : must(dir->members(ids.child), "members")) {
            json::array roles;
            for (const auto& r : m.roles) roles.push_back(json::value(r));
            members.push_back(json::array{m.org_id, m.identity_id, to_string(m.kind), m.home_org,
                                          opt(m.user_ref), m.override_inherited, std::move(roles),
                                          m.created_ms});
        }
        out["members"] = std::move(members);
        json::array roles;
        for (const auto& r : must(dir->custom_roles(ids.root), "custom roles"))
            roles.push_back(json::array{r.org_id, r.id, r.name, r.permissions});
        for (const auto& r : must(dir->group_roles(ids.root), "group roles"))
            roles.push_back(json::array{r.org_id, r.group_id, r.role_id});
        out["roles"] = std::move(roles);
        json::array events;
        for (const auto& e : must(dir->list_events(ids.root, 0, 100), "events").items) {
            events.push_back(json::array{e.id, e.seq, e.time_ms, e.ev.actor, e.ev.action,
                                         e.ev.target_id, e.ev.detail});
        }
        out["events"] = std::move(events);

        auto inv = plugin::open_invitation_backend(cfg);
        const auto i = must(inv->get_invitation(ids.root, ids.invitation), "invitation");
        json::array history;
        for (const auto& h : i.history)
            history.push_back(json::array{h.at_ms, h.action, h.actor, h.detail});
        out["invitation"] =
            json::array{i.id,         i.org_id,       i.kind,          i.status,
                        i.email,      i.display_name, i.roles.size(),  i.groups.at(0),
                        i.inviter,    i.token_hash,   i.token_version, i.created_ms,
                        i.expires_ms, i.delivery,     i.version,       std::move(history)};
        const auto r = must(inv->get_access_request(ids.root, ids.request), "request");
        out["request"] = json::array{r.id,     r.status,     r.requester,    r.email,
                                     r.reason, r.created_ms, r.notify_count, r.version};
        json::array mails;
        for (const auto& m : must(inv->messages_for("invitation:" + ids.invitation), "outbox")) {
            mails.push_back(json::array{m.id, m.to, m.subject, m.text, m.html, m.status, m.attempts,
                                        m.next_attempt_ms});
        }
        out["outbox"] = std::move(mails);

        auto oauth = plugin::open_oauth_store(cfg, clock());
        const auto c = must(oauth->find_client("oc_one"), "client");
        json::array secrets;
        for (const auto& s : c.secrets)
            secrets.push_back(json::array{s.id, s.hash, s.created_ms, opt(s.expires_ms)});
        json::array fed;
        for (const auto& f : c.federated) fed.push_back(json::array{f.issuer, f.subject});
        out["client"] = json::array{c.client_id,        c.org_id,      c.name,
                                    c.permissions,      c.created_ms,  opt(c.revoked_ms),
                                    std::move(secrets), std::move(fed)};
        json::array keys;
        for (const auto& k : must(oauth->signing_keys(), "keys"))
            keys.push_back(json::array{k.kid, k.alg, k.private_pem, k.created_ms});
        out["keys"] = std::move(keys);
        return out;
    }

    static std::string export_of(const storage_config& cfg) {
        std::ostringstream out;
        plugin::export_storage(cfg, out, t0);
        return out.str();
    }
    // The row and trailer lines: the header names the backend and its schema version.
    static std::string rows_of(const std::string& stream) {
        return stream.substr(stream.find('\n') + 1);
    }

    orgscim::testing::temp_dir dir_;
    storage_config sqlite_;
    scim::schema_registry reg_;
    const scim::resource_type* user_ = nullptr;
    const scim::resource_type* group_ = nullptr;
    std::atomic<std::int64_t> now_{t0};
};

TEST_F(transfer, sqlite_to_postgresql_keeps_every_record) {
    const auto ids = fill(sqlite_);
    const auto before = read_back(sqlite_, ids);
    ASSERT_EQ(before.at("orgs").as_array().size(), 2u);
    ASSERT_EQ(before.at("scim:User").as_array().size(), 2u);
    ASSERT_EQ(before.at("scim:Group").as_array().at(0).at("members").as_array().size(), 2u);
    ASSERT_EQ(before.at("by_email").as_int64(), 1);
    // Alice's own membership in the child, and Bob's roles flowing from the root.
    ASSERT_EQ(before.at("child:total").as_int64(), 2);
    const auto& bob_there = before.at("child:User").as_array().at(1).as_object();
    ASSERT_EQ(bob_there.at("attrs").at("userName").as_string(), "bob");
    ASSERT_EQ(bob_there.at("attrs").at(plugin::membership_extension_urn).at("kind").as_string(),
              "inherited");
    const auto invitation_history = before.at("invitation").as_array().back().as_array().size();
    ASSERT_EQ(invitation_history, 2u);
    ASSERT_EQ(before.at("outbox").as_array().size(), 1u);
    // One directory event, plus one audit event per history row of the invitation and of the
    // access request.
    std::size_t directory_events = 0, invitation_events = 0;
    for (const auto& e : before.at("events").as_array()) {
        const std::string_view action = e.as_array().at(4).as_string();
        (action.starts_with("invitation.") || action.starts_with("accessRequest.")
             ? invitation_events
             : directory_events)++;
    }
    ASSERT_EQ(directory_events, 1u);
    ASSERT_EQ(invitation_events, invitation_history + ids.request_history);
    const auto stream = export_of(sqlite_);

    postgres_database pg(false);
    const auto report = plugin::migrate_storage(pg.storage(), t0);
    EXPECT_EQ(report.backend, "postgresql");
    std::vector<int> every_pg(plugin::postgres::migrations().size());
    std::iota(every_pg.begin(), every_pg.end(), 1);
    EXPECT_EQ(report.applied, every_pg);
    EXPECT_EQ(report.version, static_cast<int>(every_pg.size()));

    std::istringstream in(stream);
    const auto summary = plugin::import_storage(pg.storage(), in);
    EXPECT_EQ(summary.backend, "postgresql");
    EXPECT_EQ(summary.schema_version, static_cast<int>(every_pg.size()));
    std::map<std::string, std::int64_t> rows(summary.rows.begin(), summary.rows.end());
    EXPECT_EQ(rows["orgs"], 2);
    EXPECT_EQ(rows["tokens"], 2);
    EXPECT_EQ(rows["resources"], 3);
    EXPECT_EQ(rows["resource_emails"], 2);
    EXPECT_EQ(rows["group_members"], 2);
    EXPECT_EQ(rows["invitation_history"], 3);  // two for the invitation, one for the request
    EXPECT_EQ(rows["oauth_client_secrets"], 2);

    EXPECT_EQ(json::serialize(read_back(pg.storage(), ids)), json::serialize(before));

    // The secret shown once before the move still authenticates against the copied hash.
    auto admin = plugin::open_backend(pg.storage());
    const auto check = plugin::verify_secret(*admin, ids.secret, t0 + 1000);
    EXPECT_EQ(check.status, plugin::secret_status::valid);
    EXPECT_EQ(check.info.org_id, ids.root);
    EXPECT_EQ(plugin::verify_secret(*admin, ids.secret + "x", t0).status,
              plugin::secret_status::unknown);

    // The same rows come out of PostgreSQL, and go back into SQLite unchanged.
    const auto pg_stream = export_of(pg.storage());
    EXPECT_EQ(rows_of(pg_stream), rows_of(stream));
    storage_config back;
    back.sqlite.path = dir_.path() + "/back.db";
    EXPECT_EQ(plugin::migrate_storage(back, t0).applied.size(),
              plugin::sqlite::migrations().size());
    std::istringstream pg_in(pg_stream);
    EXPECT_EQ(plugin::import_storage(back, pg_in).total(), summary.total());
    EXPECT_EQ(rows_of(export_of(back)), rows_of(stream));
    EXPECT_EQ(json::serialize(read_back(back, ids)), json::serialize(before));
}

TEST_F(transfer, new_rows_after_an_import_get_fresh_sequence_values) {
    const auto ids = fill(sqlite_);
    postgres_database pg(false);
    plugin::migrate_storage(pg.storage(), t0);
    std::istringstream in(export_of(sqlite_));
    plugin::import_storage(pg.storage(), in);

    auto admin = plugin::open_backend(pg.storage());
    const auto org = must(admin->create_org("Later", std::nullopt), "org after import");
    const auto orgs = must(admin->list_orgs(), "orgs");
    ASSERT_EQ(orgs.size(), 3u);
    EXPECT_EQ(orgs.back().id, org.id) << "creation order continues after the imported orgs";
    must(plugin::issue_secret(*admin, ids.root, "new", std::nullopt, true), "token after import");
    EXPECT_EQ(must(admin->list_tokens(ids.root), "tokens").back().name, "new");

    scim::write_set w;
    w.attrs = json::object{{"userName", "zed"}};
    const auto zed = must(admin->create(ids.root, *user_, w), "user after import");
    scim::list_request req;
    const auto users = must(admin->list(ids.root, *user_, req), "users");
    ASSERT_EQ(users.items.size(), 3u);
    EXPECT_EQ(users.items.back().id, zed.id);

    auto dir = plugin::open_directory(pg.storage(), clock());
    std::int64_t seq = 0;
    must(dir->write([&](plugin::directory_tx& tx) -> plugin::store_result<void> {
        plugin::event_draft ev{ids.root, "cli", "", "org.updated", "org", ids.root, {}};
        seq = must(tx.append_event(ev), "event").seq;
        return {};
    }),
         "event after import");
    const auto events = must(dir->list_events(ids.root, 0, 100), "events");
    ASSERT_GE(events.items.size(), 2u);
    for (const auto& e : events.items) {
        if (e.seq != seq) {
            EXPECT_GT(seq, e.seq) << e.ev.action;  // after every imported one
        }
    }

    auto inv = plugin::open_invitation_backend(pg.storage());
    plugin::access_request_write req2;
    req2.record.id = "req-2";
    req2.record.org_id = ids.root;
    req2.record.status = "pending";
    req2.record.requester = "https://op.example|sub-erin";
    req2.record.created_ms = req2.record.modified_ms = t0;
    req2.effects.history.push_back({t0, "created", req2.record.requester, ""});
    must(inv->insert_access_request(req2), "request after import");
    const auto requests = must(inv->list_access_requests(ids.root), "requests");
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests.back().id, "req-2");

    plugin::invitation_write w2;
    w2.record.id = "inv-2";
    w2.record.org_id = ids.root;
    w2.record.kind = "member";
    w2.record.status = "pending";
    w2.record.email = "erin@example.com";
    w2.record.token_hash = "hash-inv-2";
    w2.record.created_ms = w2.record.modified_ms = t0;
    w2.record.expires_ms = t0 + 86'400'000;
    plugin::outbox_message mail;
    mail.org_id = ids.root;
    mail.ref = "invitation:inv-2";
    mail.template_name = "invitation";
    mail.to = "erin@example.com";
    w2.effects.mail.push_back(mail);
    auto out = must(inv->insert_invitations({w2}, false, t0), "invitation after import");
    ASSERT_TRUE(out.at(0));
    const auto old_mail = must(inv->messages_for("invitation:" + ids.invitation), "old outbox");
    const auto new_mail = must(inv->messages_for("invitation:inv-2"), "new outbox");
    ASSERT_EQ(old_mail.size(), 1u);
    ASSERT_EQ(new_mail.size(), 1u);
    EXPECT_GT(new_mail[0].id, old_mail[0].id);
}

TEST_F(transfer, a_target_with_rows_is_refused_and_left_alone) {
    fill(sqlite_);
    const auto stream = export_of(sqlite_);
    postgres_database pg(false);
    plugin::migrate_storage(pg.storage(), t0);
    std::istringstream first(stream);
    plugin::import_storage(pg.storage(), first);
    std::istringstream again(stream);
    try {
        plugin::import_storage(pg.storage(), again);
        FAIL() << "a second import into the same database succeeded";
    } catch (const transfer_error& e) {
        EXPECT_NE(std::string(e.what()).find("not empty"), std::string::npos) << e.what();
    }
    EXPECT_EQ(rows_of(export_of(pg.storage())), rows_of(stream));

    // SQLite targets likewise: the source itself is not empty.
    std::istringstream into_source(stream);
    EXPECT_THROW(plugin::import_storage(sqlite_, into_source), transfer_error);
}

TEST_F(transfer, schema_versions_must_match_on_both_sides) {
    fill(sqlite_);
    const auto stream = export_of(sqlite_);
    postgres_database pg(false);

    // Not migrated: the target says so instead of loading into missing tables.
    std::istringstream in(stream);
    try {
        plugin::import_storage(pg.storage(), in);
        FAIL() << "imported into an unmigrated database";
    } catch (const transfer_error& e) {
        EXPECT_NE(std::string(e.what()).find("run orgscim migrate"), std::string::npos) << e.what();
    }

    plugin::migrate_storage(pg.storage(), t0);
    auto older = stream;
    const std::string v =
        "\"schema_version\":" + std::to_string(plugin::sqlite::migrations().size());
    ASSERT_NE(older.find(v), std::string::npos) << older.substr(0, 200);
    older.replace(older.find(v), v.size(), "\"schema_version\":5");
    std::istringstream old_in(older);
    try {
        plugin::import_storage(pg.storage(), old_in);
        FAIL() << "imported an export of another schema version";
    } catch (const transfer_error& e) {
        EXPECT_NE(std::string(e.what()).find("schema version 5"), std::string::npos) << e.what();
    }
    std::istringstream ok(stream);
    EXPECT_GT(plugin::import_storage(pg.storage(), ok).total(), 0) << "nothing was loaded before";
}

TEST_F(transfer, a_broken_stream_loads_nothing) {
    fill(sqlite_);
    const auto stream = export_of(sqlite_);
    postgres_database pg(false);
    plugin::migrate_storage(pg.storage(), t0);

    const auto refused = [&](std::string text, const char* why) {
        std::istringstream in(text);
        try {
            plugin::import_storage(pg.storage(), in);
            ADD_FAILURE() << "loaded: " << why;
        } catch (const transfer_error& e) {
            EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
        }
    };
    // Cut before the trailer: every row line is fine, the end is missing.
    const auto last = stream.rfind('\n', stream.size() - 2);
    refused(stream.substr(0, last + 1), "incomplete");
    // A row dropped from the middle: the trailer's counts do not match.
    const auto second = stream.find('\n') + 1;
    const auto third = stream.find('\n', second) + 1;
    refused(stream.substr(0, second) + stream.substr(third), "trailer");
    refused(std::string("{\"format\":\"something else\"}\n"), "not an orgscim export");
    auto unknown = stream;
    unknown.insert(second, "{\"table\":\"orgs\",\"row\":{\"id\":\"x\",\"color\":\"red\"}}\n");
    refused(unknown, "line 2");

    std::istringstream ok(stream);
    EXPECT_GT(plugin::import_storage(pg.storage(), ok).total(), 0) << "a refusal left rows";
}

TEST_F(transfer, export_refuses_a_database_behind_this_program) {
    // A file another tool made: no schema_migrations, so version 0.
    plugin::storage_config cfg;
    cfg.sqlite.path = dir_.path() + "/missing.db";
    std::ostringstream out;
    EXPECT_THROW(plugin::export_storage(cfg, out, t0), transfer_error) << "no such file";
    EXPECT_FALSE(std::ifstream(cfg.sqlite.path).good()) << "export must not create the file";
}

TEST_F(transfer, concurrent_migrators_apply_each_migration_once) {
    postgres_database pg(false);
    plugin::storage_config sqlite_new;
    sqlite_new.sqlite.path = dir_.path() + "/new.db";
    for (const auto* cfg : {&pg.storage(), static_cast<const storage_config*>(&sqlite_new)}) {
        constexpr int n = 4;
        std::latch go(n);
        std::mutex mu;
        std::vector<int> applied;
        std::vector<int> versions;
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i) {
            threads.emplace_back([&] {
                go.arrive_and_wait();
                const auto r = plugin::migrate_storage(*cfg, t0);
                std::lock_guard lk(mu);
                applied.insert(applied.end(), r.applied.begin(), r.applied.end());
                versions.push_back(r.version);
            });
        }
        for (auto& t : threads) t.join();
        std::sort(applied.begin(), applied.end());
        std::vector<int> once(applied.size());
        std::iota(once.begin(), once.end(), 1);
        EXPECT_EQ(applied, once) << cfg->backend;
        EXPECT_EQ(applied.size(), cfg->backend == "sqlite" ? plugin::sqlite::migrations().size()
                                                           : plugin::postgres::migrations().size());
        EXPECT_EQ(std::set<int>(versions.begin(), versions.end()).size(), 1u);
        EXPECT_TRUE(plugin::migrate_storage(*cfg, t0).applied.empty());
    }
}

}  // namespace
}  // namespace orgscim::store_tests
