#include "sqlite/sqlite_invitation_store.hpp"

#include <boost/json.hpp>
#include <mutex>
#include <orgscim/scim/ids.hpp>

#include "sql/records.hpp"
#include "sqlite/sqlite_db.hpp"
#include "write_gate.hpp"

namespace orgscim::plugin {

namespace json = boost::json;
using scim::store_errc;
using scim::store_result;

namespace {

using sqlite::guarded;
using sqlite::stmt;

std::string to_json_list(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return json::serialize(a);
}

std::vector<std::string> from_json_list(const std::string& text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_array()) return out;
    for (const auto& e : v.as_array())
        if (e.is_string()) out.emplace_back(e.as_string());
    return out;
}

constexpr const char* inv_cols =
    "id, org_id, kind, status, email, display_name, parent_user, roles, groups_, inviter, "
    "token_hash, token_version, resend_count, created_ms, modified_ms, expires_ms, last_sent_ms, "
    "reminder_at_ms, finished_ms, finished_by, reason, delivery, delivery_error, version";

invitation_record read_invitation(const stmt& s) {
    invitation_record r;
    r.id = s.text(0);
    r.org_id = s.text(1);
    r.kind = s.text(2);
    r.status = s.text(3);
    r.email = s.text(4);
    r.display_name = s.text(5);
    r.parent_user = s.text(6);
    r.roles = from_json_list(s.text(7));
    r.groups = from_json_list(s.text(8));
    r.inviter = s.text(9);
    r.token_hash = s.text(10);
    r.token_version = s.int64(11);
    r.resend_count = s.int64(12);
    r.created_ms = s.int64(13);
    r.modified_ms = s.int64(14);
    r.expires_ms = s.int64(15);
    r.last_sent_ms = s.int64(16);
    r.reminder_at_ms = s.int64(17);
    r.finished_ms = s.int64(18);
    r.finished_by = s.text(19);
    r.reason = s.text(20);
    r.delivery = s.text(21);
    r.delivery_error = s.text(22);
    r.version = static_cast<std::uint64_t>(s.int64(23));
    return r;
}

// Binds ?1..?23 in inv_cols order (without version).
void bind_invitation(stmt& s, const invitation_record& r) {
    s.bind(1, r.id).bind(2, r.org_id).bind(3, r.kind).bind(4, r.status).bind(5, r.email);
    s.bind(6, r.display_name).bind(7, r.parent_user).bind(8, to_json_list(r.roles));
    s.bind(9, to_json_list(r.groups)).bind(10, r.inviter).bind(11, r.token_hash);
    s.bind(12, r.token_version).bind(13, r.resend_count).bind(14, r.created_ms);
    s.bind(15, r.modified_ms).bind(16, r.expires_ms).bind(17, r.last_sent_ms);
    s.bind(18, r.reminder_at_ms).bind(19, r.finished_ms).bind(20, r.finished_by);
    s.bind(21, r.reason).bind(22, r.delivery).bind(23, r.delivery_error);
}

constexpr const char* req_cols =
    "id, org_id, status, requester, email, display_name, reason, decided_by, role, deny_reason, "
    "created_ms, modified_ms, last_notified_ms, notify_count, version";

access_request_record read_request(const stmt& s) {
    access_request_record r;
    r.id = s.text(0);
    r.org_id = s.text(1);
    r.status = s.text(2);
    r.requester = s.text(3);
    r.email = s.text(4);
    r.display_name = s.text(5);
    r.reason = s.text(6);
    r.decided_by = s.text(7);
    r.role = s.text(8);
    r.deny_reason = s.text(9);
    r.created_ms = s.int64(10);
    r.modified_ms = s.int64(11);
    r.last_notified_ms = s.int64(12);
    r.notify_count = s.int64(13);
    r.version = static_cast<std::uint64_t>(s.int64(14));
    return r;
}

void bind_request(stmt& s, const access_request_record& r) {
    s.bind(1, r.id).bind(2, r.org_id).bind(3, r.status).bind(4, r.requester).bind(5, r.email);
    s.bind(6, r.display_name).bind(7, r.reason).bind(8, r.decided_by).bind(9, r.role);
    s.bind(10, r.deny_reason).bind(11, r.created_ms).bind(12, r.modified_ms);
    s.bind(13, r.last_notified_ms).bind(14, r.notify_count);
}

constexpr const char* mail_cols =
    "id, org_id, ref, template, recipient, subject, body_text, body_html, status, attempts, "
    "next_attempt_ms, created_ms, sent_ms, last_error";

outbox_message read_mail(const stmt& s) {
    outbox_message m;
    m.id = s.int64(0);
    m.org_id = s.text(1);
    m.ref = s.text(2);
    m.template_name = s.text(3);
    m.to = s.text(4);
    m.subject = s.text(5);
    m.text = s.text(6);
    m.html = s.text(7);
    m.status = s.text(8);
    m.attempts = s.int64(9);
    m.next_attempt_ms = s.int64(10);
    m.created_ms = s.int64(11);
    m.sent_ms = s.int64(12);
    m.last_error = s.text(13);
    return m;
}

}  // namespace

struct sqlite_invitation_store::impl {
    std::unique_ptr<sqlite::connection> db;
    std::mutex mu;
    std::shared_ptr<sqlite::file_gate> gate;  // one writer per file across orgscim's stores

    stmt q(std::string_view sql) { return stmt(*db, sql); }

    // Every transaction here writes: the file's gate, then BEGIN IMMEDIATE (released in the
    // reverse order, so the gate is held until the rollback or commit is done).
    struct tx {
        std::lock_guard<sqlite::file_gate> gate_lock;
        sqlite::transaction t;
        explicit tx(impl& i) : gate_lock(*i.gate), t(*i.db, true) {}
        void commit() { t.commit(); }
    };

    void add_history(std::string_view owner, const history_entry& h) {
        auto s =
            q("INSERT INTO invitation_history (owner_id, at_ms, action, actor, detail) "
              "VALUES (?1, ?2, ?3, ?4, ?5)");
        s.bind(1, owner).bind(2, h.at_ms).bind(3, h.action).bind(4, h.actor).bind(5, h.detail);
        s.run();
        // The same step in the organization's audit log (/Events), in the same transaction, with
        // the invitee's email; it stays when a finished invitation is deleted.
        auto e =
            q("INSERT INTO events (id, org_id, time_ms, actor, credential_id, action, target_type, "
              "target_id, detail) "
              "SELECT ?1, org_id, ?2, ?3, '', 'invitation.' || ?4, 'Invitation', id, "
              "json_object('email', email, 'detail', ?5) FROM invitations WHERE id = ?6 "
              "UNION ALL "
              "SELECT ?1, org_id, ?2, ?3, '', 'accessRequest.' || ?4, 'AccessRequest', id, "
              "json_object('email', email, 'detail', ?5) FROM access_requests WHERE id = ?6");
        e.bind(1, scim::new_id()).bind(2, h.at_ms).bind(3, h.actor).bind(4, h.action);
        e.bind(5, h.detail).bind(6, owner).run();
    }

    void apply(std::string_view owner, const side_effects& e) {
        if (!e.supersede_ref.empty()) {
            auto s =
                q("UPDATE mail_outbox SET status = 'superseded', body_text = '', "
                  "body_html = '' WHERE ref = ?1 AND status = 'queued'");
            s.bind(1, e.supersede_ref).run();
        }
        for (const auto& m : e.mail) {
            auto s =
                q("INSERT INTO mail_outbox (org_id, ref, template, recipient, subject, "
                  "body_text, body_html, status, attempts, next_attempt_ms, created_ms, "
                  "sent_ms, last_error, claimed_by, lease_until_ms) VALUES (?1, ?2, ?3, ?4, "
                  "?5, ?6, ?7, 'queued', 0, ?8, ?9, 0, '', '', 0)");
            s.bind(1, m.org_id).bind(2, m.ref).bind(3, m.template_name).bind(4, m.to);
            s.bind(5, m.subject).bind(6, m.text).bind(7, m.html).bind(8, m.next_attempt_ms);
            s.bind(9, m.created_ms).run();
        }
        for (const auto& h : e.history) add_history(owner, h);
    }

    std::vector<history_entry> history(std::string_view owner) {
        std::vector<history_entry> out;
        auto s =
            q("SELECT at_ms, action, actor, detail FROM invitation_history WHERE owner_id = "
              "?1 ORDER BY seq");
        s.bind(1, owner);
        while (s.step()) out.push_back({s.int64(0), s.text(1), s.text(2), s.text(3)});
        return out;
    }

    std::optional<invitation_record> load(std::string_view where,
                                          std::string_view a,
                                          std::string_view b = {}) {
        auto s =
            q(std::string("SELECT ") + inv_cols + " FROM invitations WHERE " + std::string(where));
        s.bind(1, a);
        if (!b.empty()) s.bind(2, b);
        if (!s.step()) return std::nullopt;
        auto r = read_invitation(s);
        return r;
    }

    std::optional<access_request_record> load_request(std::string_view org, std::string_view id) {
        auto s = q(std::string("SELECT ") + req_cols +
                   " FROM access_requests WHERE org_id = ?1 AND id = ?2");
        s.bind(1, org).bind(2, id);
        if (!s.step()) return std::nullopt;
        return read_request(s);
    }
};

sqlite_invitation_store::sqlite_invitation_store(const sqlite_config& cfg)
    : impl_(std::make_unique<impl>()) {
    impl_->gate = sqlite::write_gate(cfg.path);
    impl_->db = sqlite::open_store(cfg.path,
                                   {.busy_timeout_ms = cfg.busy_timeout_ms,
                                    .wal = true,
                                    .synchronous = cfg.synchronous,
                                    .checkpoint_backstop = true},
                                   0, "invitation");
}

sqlite_invitation_store::~sqlite_invitation_store() = default;

store_result<std::vector<store_result<invitation_record>>>
sqlite_invitation_store::insert_invitations(std::vector<invitation_write> items,
                                            bool replace,
                                            std::int64_t now_ms) {
    return guarded(impl_->mu, [&]() -> store_result<std::vector<store_result<invitation_record>>> {
        auto& d = *impl_;
        impl::tx t(d);
        std::vector<store_result<invitation_record>> out;
        out.reserve(items.size());
        for (auto& w : items) {
            auto& r = w.record;
            // A pending row past its expiry must not block: it becomes what it is, expired.
            {
                auto s =
                    d.q("SELECT id, expires_ms FROM invitations WHERE org_id = ?1 AND kind = "
                        "?2 AND email = ?3 AND status = 'pending'");
                s.bind(1, r.org_id).bind(2, r.kind).bind(3, r.email);
                if (s.step()) {
                    std::string old_id = s.text(0);
                    bool expired = s.int64(1) <= now_ms;
                    if (!expired && !replace) {
                        out.emplace_back(store_errc::conflict);
                        continue;
                    }
                    std::string to = expired ? "expired" : "revoked";
                    auto u =
                        d.q("UPDATE invitations SET status = ?2, finished_ms = ?3, "
                            "finished_by = 'system', reason = ?4, reminder_at_ms = 0, "
                            "modified_ms = ?3, version = version + 1 WHERE id = ?1");
                    u.bind(1, old_id).bind(2, to).bind(3, now_ms);
                    u.bind(4, expired ? std::string() : "replaced by " + r.id).run();
                    side_effects e;
                    e.supersede_ref = "invitation:" + old_id;
                    e.history.push_back({now_ms, to, "system", expired ? "" : "replaced"});
                    d.apply(old_id, e);
                }
            }
            auto s = d.q(std::string("INSERT INTO invitations (") + inv_cols +
                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                         "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, 1)");
            bind_invitation(s, r);
            s.run();
            d.apply(r.id, w.effects);
            r.version = 1;
            r.history = w.effects.history;
            out.emplace_back(std::move(r));
        }
        t.commit();
        return out;
    });
}

store_result<invitation_record> sqlite_invitation_store::get_invitation(std::string_view org_id,
                                                                        std::string_view id) {
    return guarded(impl_->mu, [&]() -> store_result<invitation_record> {
        auto r = impl_->load("org_id = ?1 AND id = ?2", org_id, id);
        if (!r) return store_errc::not_found;
        r->history = impl_->history(r->id);
        return *r;
    });
}

store_result<invitation_record> sqlite_invitation_store::find_by_token(std::string_view hash) {
    return guarded(impl_->mu, [&]() -> store_result<invitation_record> {
        auto r = impl_->load("token_hash = ?1", hash);
        if (!r) return store_errc::not_found;
        r->history = impl_->history(r->id);
        return *r;
    });
}

store_result<std::vector<invitation_record>> sqlite_invitation_store::list_invitations(
    std::string_view org_id) {
    return guarded(impl_->mu, [&]() -> store_result<std::vector<invitation_record>> {
        std::vector<invitation_record> out;
        auto s = impl_->q(std::string("SELECT ") + inv_cols +
                          " FROM invitations WHERE org_id = ?1 ORDER BY seq");
        s.bind(1, org_id);
        while (s.step()) out.push_back(read_invitation(s));
        return out;
    });
}

store_result<std::optional<invitation_record>> sqlite_invitation_store::find_pending(
    std::string_view org_id, std::string_view kind, std::string_view email, std::int64_t now_ms) {
    return guarded(impl_->mu, [&]() -> store_result<std::optional<invitation_record>> {
        auto s = impl_->q(std::string("SELECT ") + inv_cols +
                          " FROM invitations WHERE org_id = ?1 AND kind = ?2 AND email = ?3 AND "
                          "status = 'pending' AND expires_ms > ?4");
        s.bind(1, org_id).bind(2, kind).bind(3, email).bind(4, now_ms);
        if (!s.step()) return std::optional<invitation_record>{};
        return std::optional<invitation_record>{read_invitation(s)};
    });
}

store_result<invitation_record> sqlite_invitation_store::update_invitation(
    std::string_view org_id, std::string_view id, const invitation_mutate& mutate) {
    return guarded(impl_->mu, [&]() -> store_result<invitation_record> {
        auto& d = *impl_;
        impl::tx t(d);
        auto cur = d.load("org_id = ?1 AND id = ?2", org_id, id);
        if (!cur) return store_errc::not_found;
        cur->history = d.history(cur->id);
        auto w = mutate(*cur);
        if (!w) return store_errc::aborted;
        // Conditional on what was read: the single-use claim of an accept, and the guard that
        // keeps any two writers from both moving the same row.
        auto s = d.q(std::string("UPDATE invitations SET (") + inv_cols +
                     ") = (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
                     "?17, ?18, ?19, ?20, ?21, ?22, ?23, version + 1) WHERE id = ?24 AND org_id = "
                     "?25 AND status = ?26 AND token_hash = ?27 AND version = ?28");
        auto& r = w->record;
        r.id = cur->id;
        r.org_id = cur->org_id;
        bind_invitation(s, r);
        s.bind(24, cur->id).bind(25, cur->org_id).bind(26, cur->status).bind(27, cur->token_hash);
        s.bind(28, static_cast<std::int64_t>(cur->version));
        s.run();
        if (d.db->changes() != 1) return store_errc::version_mismatch;
        d.apply(r.id, w->effects);
        r.version = cur->version + 1;
        r.history = d.history(r.id);
        t.commit();
        return r;
    });
}

store_result<void> sqlite_invitation_store::delete_invitation(std::string_view org_id,
                                                              std::string_view id) {
    return guarded(impl_->mu, [&]() -> store_result<void> {
        auto& d = *impl_;
        impl::tx t(d);
        auto cur = d.load("org_id = ?1 AND id = ?2", org_id, id);
        if (!cur) return store_errc::not_found;
        if (cur->status == "pending") return store_errc::conflict;
        d.q("DELETE FROM invitations WHERE id = ?1").bind(1, id).run();
        d.q("DELETE FROM invitation_history WHERE owner_id = ?1").bind(1, id).run();
        t.commit();
        return {};
    });
}

store_result<std::vector<invitation_record>> sqlite_invitation_store::due_invitations(
    std::int64_t now_ms, std::size_t limit) {
    return guarded(impl_->mu, [&]() -> store_result<std::vector<invitation_record>> {
        std::vector<invitation_record> out;
        auto s = impl_->q(std::string("SELECT ") + inv_cols +
                          " FROM invitations WHERE status = 'pending' AND (expires_ms <= ?1 OR "
                          "(reminder_at_ms > 0 AND reminder_at_ms <= ?1)) ORDER BY seq LIMIT ?2");
        s.bind(1, now_ms).bind(2, static_cast<std::int64_t>(limit));
        while (s.step()) out.push_back(read_invitation(s));
        return out;
    });
}

store_result<access_request_record> sqlite_invitation_store::insert_access_request(
    access_request_write w) {
    return guarded(impl_->mu, [&]() -> store_result<access_request_record> {
        auto& d = *impl_;
        impl::tx t(d);
        auto s = d.q(std::string("INSERT INTO access_requests (") + req_cols +
                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1)");
        bind_request(s, w.record);
        s.run();
        d.apply(w.record.id, w.effects);
        t.commit();
        w.record.version = 1;
        return w.record;
    });
}

store_result<access_request_record> sqlite_invitation_store::get_access_request(
    std::string_view org_id, std::string_view id) {
    return guarded(impl_->mu, [&]() -> store_result<access_request_record> {
        auto r = impl_->load_request(org_id, id);
        if (!r) return store_errc::not_found;
        return *r;
    });
}

store_result<std::optional<access_request_record>> sqlite_invitation_store::find_pending_request(
    std::string_view org_id, std::string_view requester) {
    return guarded(impl_->mu, [&]() -> store_result<std::optional<access_request_record>> {
        auto s = impl_->q(std::string("SELECT ") + req_cols +
                          " FROM access_requests WHERE org_id = ?1 AND requester = ?2 AND status "
                          "= 'pending'");
        s.bind(1, org_id).bind(2, requester);
        if (!s.step()) return std::optional<access_request_record>{};
        return std::optional<access_request_record>{read_request(s)};
    });
}

store_result<std::vector<access_request_record>> sqlite_invitation_store::list_access_requests(
    std::string_view org_id) {
    return guarded(impl_->mu, [&]() -> store_result<std::vector<access_request_record>> {
        std::vector<access_request_record> out;
        auto s = impl_->q(std::string("SELECT ") + req_cols +
                          " FROM access_requests WHERE org_id = ?1 ORDER BY seq");
        s.bind(1, org_id);
        while (s.step()) out.push_back(read_request(s));
        return out;
    });
}

store_result<access_request_record> sqlite_invitation_store::update_access_request(
    std::string_view org_id, std::string_view id, const access_request_mutate& mutate) {
    return guarded(impl_->mu, [&]() -> store_result<access_request_record> {
        auto& d = *impl_;
        impl::tx t(d);
        auto cur = d.load_request(org_id, id);
        if (!cur) return store_errc::not_found;
        auto w = mutate(*cur);
        if (!w) return store_errc::aborted;
        auto s = d.q(std::string("UPDATE access_requests SET (") + req_cols +
                     ") = (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, version + "
                     "1) WHERE id = ?15 AND org_id = ?16 AND status = ?17 AND version = ?18");
        w->record.id = cur->id;
        w->record.org_id = cur->org_id;
        bind_request(s, w->record);
        s.bind(15, cur->id).bind(16, cur->org_id).bind(17, cur->status);
        s.bind(18, static_cast<std::int64_t>(cur->version));
        s.run();
        if (d.db->changes() != 1) return store_errc::version_mismatch;
        d.apply(cur->id, w->effects);
        t.commit();
        w->record.version = cur->version + 1;
        return w->record;
    });
}

store_result<std::vector<outbox_message>> sqlite_invitation_store::claim(std::string_view worker,
                                                                         std::int64_t now_ms,
                                                                         std::int64_t lease_ms,
                                                                         std::size_t max) {
    return guarded(impl_->mu, [&]() -> store_result<std::vector<outbox_message>> {
        auto& d = *impl_;
        impl::tx t(d);
        std::vector<outbox_message> out;
        // One statement: pick due, unleased rows and lease them. BEGIN IMMEDIATE makes it
        // exclusive on SQLite; PostgreSQL's version adds FOR UPDATE SKIP LOCKED to the subquery.
        auto s = d.q(std::string("UPDATE mail_outbox SET claimed_by = ?1, lease_until_ms = ?2 + "
                                 "?3, attempts = attempts + 1 WHERE id IN (SELECT id FROM "
                                 "mail_outbox WHERE status = 'queued' AND next_attempt_ms <= ?2 "
                                 "AND lease_until_ms <= ?2 ORDER BY id LIMIT ?4) RETURNING ") +
                     mail_cols);
        s.bind(1, worker).bind(2, now_ms).bind(3, lease_ms).bind(4, static_cast<std::int64_t>(max));
        while (s.step()) out.push_back(read_mail(s));
        t.commit();
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        return out;
    });
}

store_result<void> sqlite_invitation_store::mark_sent(std::int64_t id,
                                                      std::string_view worker,
                                                      std::int64_t now_ms) {
    return guarded(impl_->mu, [&]() -> store_result<void> {
        auto& d = *impl_;
        impl::tx t(d);
        std::string ref, to;
        {
            auto s =
                d.q("UPDATE mail_outbox SET status = 'sent', sent_ms = ?3, body_text = '', "
                    "body_html = '', lease_until_ms = 0, last_error = '' WHERE id = ?1 AND "
                    "claimed_by = ?2 AND status = 'queued' RETURNING ref, recipient, template");
            s.bind(1, id).bind(2, worker).bind(3, now_ms);
            if (!s.step()) return store_errc::not_found;
            ref = s.text(0);
            to = s.text(1) + " (" + s.text(2) + ")";
        }
        if (ref.starts_with("invitation:")) {
            auto inv = ref.substr(11);
            d.q("UPDATE invitations SET delivery = 'sent', delivery_error = '' WHERE id = ?1")
                .bind(1, inv)
                .run();
            d.add_history(inv, {now_ms, "sent", "system", to});
        } else if (ref.starts_with("access_request:")) {
            d.add_history(ref.substr(15), {now_ms, "sent", "system", to});
        }
        t.commit();
        return {};
    });
}

store_result<void> sqlite_invitation_store::mark_failed(std::int64_t id,
                                                        std::string_view worker,
                                                        std::int64_t now_ms,
                                                        std::string_view error,
                                                        std::int64_t retry_at_ms) {
    return guarded(impl_->mu, [&]() -> store_result<void> {
        auto& d = *impl_;
        impl::tx t(d);
        std::string ref;
        {
            auto s =
                d.q("UPDATE mail_outbox SET status = ?4, next_attempt_ms = ?5, last_error = "
                    "?3, lease_until_ms = 0 WHERE id = ?1 AND claimed_by = ?2 AND status = "
                    "'queued' RETURNING ref");
            s.bind(1, id).bind(2, worker).bind(3, error);
            s.bind(4, retry_at_ms == 0 ? "failed" : "queued").bind(5, retry_at_ms);
            if (!s.step()) return store_errc::not_found;
            ref = s.text(0);
        }
        std::string owner = ref.substr(ref.find(':') + 1);
        if (ref.starts_with("invitation:")) {
            d.q("UPDATE invitations SET delivery = ?2, delivery_error = ?3 WHERE id = ?1")
                .bind(1, owner)
                .bind(2, retry_at_ms == 0 ? "failed" : "retrying")
                .bind(3, error)
                .run();
        }
        d.add_history(owner, {now_ms, retry_at_ms == 0 ? "emailFailed" : "emailRetry", "system",
                              std::string(error)});
        t.commit();
        return {};
    });
}

store_result<std::vector<outbox_message>> sqlite_invitation_store::messages_for(
    std::string_view ref) {
    return guarded(impl_->mu, [&]() -> store_result<std::vector<outbox_message>> {
        std::vector<outbox_message> out;
        auto s = impl_->q(std::string("SELECT ") + mail_cols +
                          " FROM mail_outbox WHERE ref = ?1 ORDER BY id");
        s.bind(1, ref);
        while (s.step()) out.push_back(read_mail(s));
        return out;
    });
}

}  // namespace orgscim::plugin
