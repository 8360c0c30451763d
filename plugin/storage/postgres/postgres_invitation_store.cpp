// PostgreSQL: invitations, access requests and the mail outbox (issue 6).
//
// Locks, and why (several orgscim processes share the database; READ COMMITTED throughout):
// - update_invitation / update_access_request read the row FOR UPDATE, so a second instance
//   accepting the same link waits, then reads the row the first one committed (no longer
//   pending) and its mutate refuses. The UPDATE is still conditional on the id, status, token
//   hash and version that were read, so a row changed by any path that skipped the lock fails
//   with version_mismatch instead of being overwritten: one accept wins, never two.
// - insert_invitations locks the existing pending row of (org, kind, email) FOR UPDATE before
//   expiring or replacing it, and inserts with ON CONFLICT DO NOTHING against the partial unique
//   index invitations_pending: two instances inviting the same person at once both pass the
//   check, the index makes the second wait for the first's commit and then refuses that item
//   with `conflict` without aborting the rest of its batch.
// - insert_access_request relies on the unique index access_requests_pending (23505 ->
//   conflict).
// - claim leases rows picked with FOR UPDATE SKIP LOCKED: concurrent senders never wait on or
//   take each other's rows, and a row whose lease was committed meanwhile is re-checked against
//   lease_until_ms and left out. The lease (lease_until_ms) is the visibility timeout: a sender
//   that dies holding it gives the row back when it ends. mark_sent / mark_failed only touch a
//   row still claimed by the caller.
// - delete_invitation locks the row so it cannot become pending-again-and-deleted in between.

#include "postgres/postgres_invitation_store.hpp"

#include <algorithm>
#include <orgscim/scim/ids.hpp>

#include "postgres/pg_connection.hpp"
#include "postgres/postgres_migrations.hpp"
#include "sql/directory_rows.hpp"
#include "sql/records.hpp"

namespace orgscim::plugin::postgres {

// Same tables and columns as SQLite's migration 2; compared text is COLLATE "C" (byte order).
const std::string_view invitation_schema = R"sql(
CREATE TABLE invitations (
    seq            BIGSERIAL PRIMARY KEY,
    id             TEXT COLLATE "C" NOT NULL UNIQUE,
    org_id         TEXT COLLATE "C" NOT NULL,
    kind           TEXT COLLATE "C" NOT NULL,
    status         TEXT COLLATE "C" NOT NULL,
    email          TEXT COLLATE "C" NOT NULL,
    display_name   TEXT NOT NULL,
    parent_user    TEXT NOT NULL,
    roles          TEXT NOT NULL,
    groups_        TEXT NOT NULL,
    inviter        TEXT NOT NULL,
    token_hash     TEXT COLLATE "C" NOT NULL UNIQUE,
    token_version  BIGINT NOT NULL,
    resend_count   BIGINT NOT NULL,
    created_ms     BIGINT NOT NULL,
    modified_ms    BIGINT NOT NULL,
    expires_ms     BIGINT NOT NULL,
    last_sent_ms   BIGINT NOT NULL,
    reminder_at_ms BIGINT NOT NULL,
    finished_ms    BIGINT NOT NULL,
    finished_by    TEXT NOT NULL,
    reason         TEXT NOT NULL,
    delivery       TEXT NOT NULL,
    delivery_error TEXT NOT NULL,
    version        BIGINT NOT NULL
);
CREATE UNIQUE INDEX invitations_pending ON invitations (org_id, kind, email)
    WHERE status = 'pending';
CREATE INDEX invitations_org ON invitations (org_id, seq);
CREATE INDEX invitations_due ON invitations (status, expires_ms);
CREATE INDEX invitations_reminder ON invitations (reminder_at_ms) WHERE reminder_at_ms > 0;
CREATE TABLE invitation_history (
    seq      BIGSERIAL PRIMARY KEY,
    owner_id TEXT COLLATE "C" NOT NULL,
    at_ms    BIGINT NOT NULL,
    action   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX invitation_history_owner ON invitation_history (owner_id, seq);
CREATE TABLE access_requests (
    seq              BIGSERIAL PRIMARY KEY,
    id               TEXT COLLATE "C" NOT NULL UNIQUE,
    org_id           TEXT COLLATE "C" NOT NULL,
    status           TEXT COLLATE "C" NOT NULL,
    requester        TEXT COLLATE "C" NOT NULL,
    email            TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    reason           TEXT NOT NULL,
    decided_by       TEXT NOT NULL,
    role             TEXT NOT NULL,
    deny_reason      TEXT NOT NULL,
    created_ms       BIGINT NOT NULL,
    modified_ms      BIGINT NOT NULL,
    last_notified_ms BIGINT NOT NULL,
    notify_count     BIGINT NOT NULL,
    version          BIGINT NOT NULL
);
CREATE UNIQUE INDEX access_requests_pending ON access_requests (org_id, requester)
    WHERE status = 'pending';
CREATE INDEX access_requests_org ON access_requests (org_id, seq);
CREATE TABLE mail_outbox (
    id              BIGSERIAL PRIMARY KEY,
    org_id          TEXT COLLATE "C" NOT NULL,
    ref             TEXT COLLATE "C" NOT NULL,
    template        TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    status          TEXT COLLATE "C" NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL,
    sent_ms         BIGINT NOT NULL,
    last_error      TEXT NOT NULL,
    claimed_by      TEXT COLLATE "C" NOT NULL,
    lease_until_ms  BIGINT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_ms);
CREATE INDEX mail_outbox_ref ON mail_outbox (ref);
)sql";

}  // namespace orgscim::plugin::postgres

namespace orgscim::plugin {

using scim::store_errc;
using scim::store_result;
using namespace pg;

namespace {

std::string str(const result& q, int row, int col) { return std::string(q.text(row, col)); }

constexpr const char* inv_cols =
    "id, org_id, kind, status, email, display_name, parent_user, roles, groups_, inviter, "
    "token_hash, token_version, resend_count, created_ms, modified_ms, expires_ms, last_sent_ms, "
    "reminder_at_ms, finished_ms, finished_by, reason, delivery, delivery_error, version";

// $1..$23 in inv_cols order (version excluded).
constexpr const char* inv_values =
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
    "$21, $22, $23";

invitation_record read_invitation(const result& q, int i) {
    invitation_record r;
    r.id = str(q, i, 0);
    r.org_id = str(q, i, 1);
    r.kind = str(q, i, 2);
    r.status = str(q, i, 3);
    r.email = str(q, i, 4);
    r.display_name = str(q, i, 5);
    r.parent_user = str(q, i, 6);
    r.roles = sql::strings_from_json(q.text(i, 7));
    r.groups = sql::strings_from_json(q.text(i, 8));
    r.inviter = str(q, i, 9);
    r.token_hash = str(q, i, 10);
    r.token_version = q.int64(i, 11);
    r.resend_count = q.int64(i, 12);
    r.created_ms = q.int64(i, 13);
    r.modified_ms = q.int64(i, 14);
    r.expires_ms = q.int64(i, 15);
    r.last_sent_ms = q.int64(i, 16);
    r.reminder_at_ms = q.int64(i, 17);
    r.finished_ms = q.int64(i, 18);
    r.finished_by = str(q, i, 19);
    r.reason = str(q, i, 20);
    r.delivery = str(q, i, 21);
    r.delivery_error = str(q, i, 22);
    r.version = static_cast<std::uint64_t>(q.int64(i, 23));
    return r;
}

params invitation_params(const invitation_record& r) {
    params p;
    p.text(r.id).text(r.org_id).text(r.kind).text(r.status).text(r.email);
    p.text(r.display_name).text(r.parent_user).text(sql::strings_to_json(r.roles));
    p.text(sql::strings_to_json(r.groups)).text(r.inviter).text(r.token_hash);
    p.int64(r.token_version).int64(r.resend_count).int64(r.created_ms).int64(r.modified_ms);
    p.int64(r.expires_ms).int64(r.last_sent_ms).int64(r.reminder_at_ms).int64(r.finished_ms);
    p.text(r.finished_by).text(r.reason).text(r.delivery).text(r.delivery_error);
    return p;
}

constexpr const char* req_cols =
    "id, org_id, status, requester, email, display_name, reason, decided_by, role, deny_reason, "
    "created_ms, modified_ms, last_notified_ms, notify_count, version";

constexpr const char* req_values = "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14";

access_request_record read_request(const result& q, int i) {
    access_request_record r;
    r.id = str(q, i, 0);
    r.org_id = str(q, i, 1);
    r.status = str(q, i, 2);
    r.requester = str(q, i, 3);
    r.email = str(q, i, 4);
    r.display_name = str(q, i, 5);
    r.reason = str(q, i, 6);
    r.decided_by = str(q, i, 7);
    r.role = str(q, i, 8);
    r.deny_reason = str(q, i, 9);
    r.created_ms = q.int64(i, 10);
    r.modified_ms = q.int64(i, 11);
    r.last_notified_ms = q.int64(i, 12);
    r.notify_count = q.int64(i, 13);
    r.version = static_cast<std::uint64_t>(q.int64(i, 14));
    return r;
}

params request_params(const access_request_record& r) {
    params p;
    p.text(r.id).text(r.org_id).text(r.status).text(r.requester).text(r.email);
    p.text(r.display_name).text(r.reason).text(r.decided_by).text(r.role).text(r.deny_reason);
    p.int64(r.created_ms).int64(r.modified_ms).int64(r.last_notified_ms).int64(r.notify_count);
    return p;
}

constexpr const char* mail_cols =
    "id, org_id, ref, template, recipient, subject, body_text, body_html, status, attempts, "
    "next_attempt_ms, created_ms, sent_ms, last_error";

outbox_message read_mail(const result& q, int i) {
    outbox_message m;
    m.id = q.int64(i, 0);
    m.org_id = str(q, i, 1);
    m.ref = str(q, i, 2);
    m.template_name = str(q, i, 3);
    m.to = str(q, i, 4);
    m.subject = str(q, i, 5);
    m.text = str(q, i, 6);
    m.html = str(q, i, 7);
    m.status = str(q, i, 8);
    m.attempts = q.int64(i, 9);
    m.next_attempt_ms = q.int64(i, 10);
    m.created_ms = q.int64(i, 11);
    m.sent_ms = q.int64(i, 12);
    m.last_error = str(q, i, 13);
    return m;
}

void add_history(connection& c, std::string_view owner, const history_entry& h) {
    c.run(
        "INSERT INTO invitation_history (owner_id, at_ms, action, actor, detail) VALUES ($1, $2, "
        "$3, $4, $5)",
        params().text(owner).int64(h.at_ms).text(h.action).text(h.actor).text(h.detail));
    // The same step in the organization's audit log (/Events), in the same transaction, with the
    // invitee's email; it stays when a finished invitation is deleted.
    c.run(
        "INSERT INTO events (id, org_id, time_ms, actor, credential_id, action, target_type, "
        "target_id, detail) "
        "SELECT $1, org_id, $2::bigint, $3, '', 'invitation.' || $4::text, 'Invitation', id, "
        "json_build_object('email', email, 'detail', $5::text)::text FROM invitations "
        "WHERE id = $6 "
        "UNION ALL "
        "SELECT $1, org_id, $2::bigint, $3, '', 'accessRequest.' || $4::text, 'AccessRequest', id, "
        "json_build_object('email', email, 'detail', $5::text)::text FROM access_requests "
        "WHERE id = $6",
        params()
            .text(scim::new_id())
            .int64(h.at_ms)
            .text(h.actor)
            .text(h.action)
            .text(h.detail)
            .text(owner));
}

// The outbox rows and history of one write, in the caller's transaction.
void apply(connection& c, std::string_view owner, const side_effects& e) {
    if (!e.supersede_ref.empty()) {
        c.run(
            "UPDATE mail_outbox SET status = 'superseded', body_text = '', body_html = '' WHERE "
            "ref = $1 AND status = 'queued'",
            params().text(e.supersede_ref));
    }
    for (const auto& m : e.mail) {
        c.run(
            "INSERT INTO mail_outbox (org_id, ref, template, recipient, subject, body_text, "
            "body_html, status, attempts, next_attempt_ms, created_ms, sent_ms, last_error, "
            "claimed_by, lease_until_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $9, "
            "0, '', '', 0)",
            params()
                .text(m.org_id)
                .text(m.ref)
                .text(m.template_name)
                .text(m.to)
                .text(m.subject)
                .text(m.text)
                .text(m.html)
                .int64(m.next_attempt_ms)
                .int64(m.created_ms));
    }
    for (const auto& h : e.history) add_history(c, owner, h);
}

std::vector<history_entry> history(connection& c, std::string_view owner) {
    auto q = c.run(
        "SELECT at_ms, action, actor, detail FROM invitation_history WHERE owner_id = $1 ORDER BY "
        "seq",
        params().text(owner));
    std::vector<history_entry> out;
    for (int i = 0; i < q.rows(); ++i)
        out.push_back({q.int64(i, 0), str(q, i, 1), str(q, i, 2), str(q, i, 3)});
    return out;
}

// Row `id` of org `org_id` in `table`, locked when `for_update`.
result select_in_org(connection& c,
                     const char* cols,
                     const char* table,
                     std::string_view org_id,
                     std::string_view id,
                     bool for_update) {
    return c.run(std::string("SELECT ") + cols + " FROM " + table +
                     " WHERE org_id = $1 AND id = $2" + (for_update ? " FOR UPDATE" : ""),
                 params().text(org_id).text(id));
}

std::optional<invitation_record> load_invitation(connection& c,
                                                 std::string_view org_id,
                                                 std::string_view id,
                                                 bool for_update) {
    auto q = select_in_org(c, inv_cols, "invitations", org_id, id, for_update);
    if (q.rows() == 0) return std::nullopt;
    return read_invitation(q, 0);
}

std::optional<access_request_record> load_request(connection& c,
                                                  std::string_view org_id,
                                                  std::string_view id,
                                                  bool for_update) {
    auto q = select_in_org(c, req_cols, "access_requests", org_id, id, for_update);
    if (q.rows() == 0) return std::nullopt;
    return read_request(q, 0);
}

// Moves the pending invitation of (org, kind, email), if any, out of the way of `r`: expired
// when past its expiry, revoked when `replace`. False when a live one stays (the item conflicts).
bool clear_pending(connection& c, const invitation_record& r, bool replace, std::int64_t now_ms) {
    auto q = c.run(
        "SELECT id, expires_ms FROM invitations WHERE org_id = $1 AND kind = $2 AND email = $3 "
        "AND status = 'pending' FOR UPDATE",
        params().text(r.org_id).text(r.kind).text(r.email));
    if (q.rows() == 0) return true;
    const std::string old_id = str(q, 0, 0);
    const bool expired = q.int64(0, 1) <= now_ms;
    if (!expired && !replace) return false;
    const std::string to = expired ? "expired" : "revoked";
    c.run(
        "UPDATE invitations SET status = $2, finished_ms = $3, finished_by = 'system', reason = "
        "$4, reminder_at_ms = 0, modified_ms = $3, version = version + 1 WHERE id = $1",
        params().text(old_id).text(to).int64(now_ms).text(expired ? std::string()
                                                                  : "replaced by " + r.id));
    side_effects e;
    e.supersede_ref = "invitation:" + old_id;
    e.history.push_back({now_ms, to, "system", expired ? "" : "replaced"});
    apply(c, old_id, e);
    return true;
}

class postgres_invitation_store final : public invitation_backend {
  public:
    postgres_invitation_store(const postgres_config& cfg, std::string uri)
        : pool_(cfg, std::move(uri)) {
        pool_.require_migration(3, "invitation");
    }

    store_result<std::vector<store_result<invitation_record>>> insert_invitations(
        std::vector<invitation_write> items, bool replace, std::int64_t now_ms) override {
        using out_t = std::vector<store_result<invitation_record>>;
        return pool_.write([&](connection& c) -> store_result<out_t> {
            out_t out;
            out.reserve(items.size());
            for (const auto& w : items) {
                invitation_record r = w.record;
                // A concurrent insert of the same (org, kind, email) can commit between the lock
                // and the insert; with `replace` that row is replaced too, so one more round.
                bool inserted = false;
                bool refused = false;
                for (int round = 0; round < 2 && !inserted && !refused; ++round) {
                    if (!clear_pending(c, r, replace, now_ms)) {
                        refused = true;
                        break;
                    }
                    auto q = c.run(std::string("INSERT INTO invitations (") + inv_cols +
                                       ") VALUES (" + inv_values +
                                       ", 1) ON CONFLICT (org_id, kind, email) WHERE status = "
                                       "'pending' DO NOTHING RETURNING seq",
                                   invitation_params(r));
                    inserted = q.rows() == 1;
                    if (!inserted && !replace) refused = true;
                }
                if (!inserted) {
                    out.emplace_back(store_errc::conflict);
                    continue;
                }
                apply(c, r.id, w.effects);
                r.version = 1;
                r.history = w.effects.history;
                out.emplace_back(std::move(r));
            }
            return out;
        });
    }

    store_result<invitation_record> get_invitation(std::string_view org_id,
                                                   std::string_view id) override {
        return pool_.read([&](connection& c) -> store_result<invitation_record> {
            auto r = load_invitation(c, org_id, id, false);
            if (!r) return store_errc::not_found;
            r->history = history(c, r->id);
            return *r;
        });
    }

    store_result<invitation_record> find_by_token(std::string_view token_hash) override {
        return pool_.read([&](connection& c) -> store_result<invitation_record> {
            auto q =
                c.run(std::string("SELECT ") + inv_cols + " FROM invitations WHERE token_hash = $1",
                      params().text(token_hash));
            if (q.rows() == 0) return store_errc::not_found;
            auto r = read_invitation(q, 0);
            r.history = history(c, r.id);
            return r;
        });
    }

    store_result<std::vector<invitation_record>> list_invitations(
        std::string_view org_id) override {
        return pool_.read([&](connection& c) -> store_result<std::vector<invitation_record>> {
            auto q = c.run(std::string("SELECT ") + inv_cols +
                               " FROM invitations WHERE org_id = $1 ORDER BY seq",
                           params().text(org_id));
            std::vector<invitation_record> out;
            for (int i = 0; i < q.rows(); ++i) out.push_back(read_invitation(q, i));
            return out;
        });
    }

    store_result<std::optional<invitation_record>> find_pending(std::string_view org_id,
                                                                std::string_view kind,
                                                                std::string_view email,
                                                                std::int64_t now_ms) override {
        return pool_.read([&](connection& c) -> store_result<std::optional<invitation_record>> {
            auto q =
                c.run(std::string("SELECT ") + inv_cols +
                          " FROM invitations WHERE org_id = $1 AND kind = $2 AND email = $3 AND "
                          "status = 'pending' AND expires_ms > $4",
                      params().text(org_id).text(kind).text(email).int64(now_ms));
            if (q.rows() == 0) return std::optional<invitation_record>{};
            return std::optional<invitation_record>{read_invitation(q, 0)};
        });
    }

    store_result<invitation_record> update_invitation(std::string_view org_id,
                                                      std::string_view id,
                                                      const invitation_mutate& mutate) override {
        return pool_.write([&](connection& c) -> store_result<invitation_record> {
            auto cur = load_invitation(c, org_id, id, true);
            if (!cur) return store_errc::not_found;
            cur->history = history(c, cur->id);
            auto w = mutate(*cur);
            if (!w) return store_errc::aborted;
            auto& r = w->record;
            r.id = cur->id;
            r.org_id = cur->org_id;
            auto p = invitation_params(r);
            p.text(cur->id).text(cur->org_id).text(cur->status).text(cur->token_hash);
            p.int64(static_cast<std::int64_t>(cur->version));
            auto q =
                c.run(std::string("UPDATE invitations SET (") + inv_cols + ") = (" + inv_values +
                          ", version + 1) WHERE id = $24 AND org_id = $25 AND status = $26 AND "
                          "token_hash = $27 AND version = $28",
                      p);
            if (q.affected() != 1) return store_errc::version_mismatch;
            apply(c, r.id, w->effects);
            r.version = cur->version + 1;
            r.history = history(c, r.id);
            return r;
        });
    }

    store_result<void> delete_invitation(std::string_view org_id, std::string_view id) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            auto cur = load_invitation(c, org_id, id, true);
            if (!cur) return store_errc::not_found;
            if (cur->status == "pending") return store_errc::conflict;
            c.run("DELETE FROM invitations WHERE id = $1", params().text(cur->id));
            c.run("DELETE FROM invitation_history WHERE owner_id = $1", params().text(cur->id));
            return {};
        });
    }

    store_result<std::vector<invitation_record>> due_invitations(std::int64_t now_ms,
                                                                 std::size_t limit) override {
        return pool_.read([&](connection& c) -> store_result<std::vector<invitation_record>> {
            auto q =
                c.run(std::string("SELECT ") + inv_cols +
                          " FROM invitations WHERE status = 'pending' AND (expires_ms <= $1 OR "
                          "(reminder_at_ms > 0 AND reminder_at_ms <= $1)) ORDER BY seq LIMIT "
                          "$2::bigint",
                      params().int64(now_ms).int64(static_cast<std::int64_t>(limit)));
            std::vector<invitation_record> out;
            for (int i = 0; i < q.rows(); ++i) out.push_back(read_invitation(q, i));
            return out;
        });
    }

    store_result<access_request_record> insert_access_request(access_request_write w) override {
        return pool_.write([&](connection& c) -> store_result<access_request_record> {
            c.run(std::string("INSERT INTO access_requests (") + req_cols + ") VALUES (" +
                      req_values + ", 1)",
                  request_params(w.record));
            apply(c, w.record.id, w.effects);
            w.record.version = 1;
            return w.record;
        });
    }

    store_result<access_request_record> get_access_request(std::string_view org_id,
                                                           std::string_view id) override {
        return pool_.read([&](connection& c) -> store_result<access_request_record> {
            auto r = load_request(c, org_id, id, false);
            if (!r) return store_errc::not_found;
            return *r;
        });
    }

    store_result<std::optional<access_request_record>> find_pending_request(
        std::string_view org_id, std::string_view requester) override {
        return pool_.read([&](connection& c) -> store_result<std::optional<access_request_record>> {
            auto q = c.run(std::string("SELECT ") + req_cols +
                               " FROM access_requests WHERE org_id = $1 AND requester = $2 AND "
                               "status = 'pending'",
                           params().text(org_id).text(requester));
            if (q.rows() == 0) return std::optional<access_request_record>{};
            return std::optional<access_request_record>{read_request(q, 0)};
        });
    }

    store_result<std::vector<access_request_record>> list_access_requests(
        std::string_view org_id) override {
        return pool_.read([&](connection& c) -> store_result<std::vector<access_request_record>> {
            auto q = c.run(std::string("SELECT ") + req_cols +
                               " FROM access_requests WHERE org_id = $1 ORDER BY seq",
                           params().text(org_id));
            std::vector<access_request_record> out;
            for (int i = 0; i < q.rows(); ++i) out.push_back(read_request(q, i));
            return out;
        });
    }

    store_result<access_request_record> update_access_request(
        std::string_view org_id,
        std::string_view id,
        const access_request_mutate& mutate) override {
        return pool_.write([&](connection& c) -> store_result<access_request_record> {
            auto cur = load_request(c, org_id, id, true);
            if (!cur) return store_errc::not_found;
            auto w = mutate(*cur);
            if (!w) return store_errc::aborted;
            w->record.id = cur->id;
            w->record.org_id = cur->org_id;
            auto p = request_params(w->record);
            p.text(cur->id).text(cur->org_id).text(cur->status);
            p.int64(static_cast<std::int64_t>(cur->version));
            auto q = c.run(
                std::string("UPDATE access_requests SET (") + req_cols + ") = (" + req_values +
                    ", version + 1) WHERE id = $15 AND org_id = $16 AND status = $17 AND "
                    "version = $18",
                p);
            if (q.affected() != 1) return store_errc::version_mismatch;
            apply(c, cur->id, w->effects);
            w->record.version = cur->version + 1;
            return w->record;
        });
    }

    store_result<std::vector<outbox_message>> claim(std::string_view worker,
                                                    std::int64_t now_ms,
                                                    std::int64_t lease_ms,
                                                    std::size_t max) override {
        return pool_.write([&](connection& c) -> store_result<std::vector<outbox_message>> {
            auto q =
                c.run(std::string("UPDATE mail_outbox SET claimed_by = $1, lease_until_ms = "
                                  "$2::bigint + $3::bigint, attempts = attempts + 1 WHERE id IN "
                                  "(SELECT id FROM mail_outbox WHERE status = 'queued' AND "
                                  "next_attempt_ms <= $2 AND lease_until_ms <= $2 ORDER BY id "
                                  "LIMIT $4::bigint FOR UPDATE SKIP LOCKED) RETURNING ") +
                          mail_cols,
                      params().text(worker).int64(now_ms).int64(lease_ms).int64(
                          static_cast<std::int64_t>(max)));
            std::vector<outbox_message> out;
            for (int i = 0; i < q.rows(); ++i) out.push_back(read_mail(q, i));
            std::sort(out.begin(), out.end(),
                      [](const auto& a, const auto& b) { return a.id < b.id; });
            return out;
        });
    }

    store_result<void> mark_sent(std::int64_t id,
                                 std::string_view worker,
                                 std::int64_t now_ms) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            auto q = c.run(
                "UPDATE mail_outbox SET status = 'sent', sent_ms = $3, body_text = '', body_html = "
                "'', "
                "lease_until_ms = 0, last_error = '' WHERE id = $1 AND claimed_by = $2 AND status "
                "= "
                "'queued' RETURNING ref, recipient, template",
                params().int64(id).text(worker).int64(now_ms));
            if (q.rows() == 0) return store_errc::not_found;
            const std::string ref = str(q, 0, 0);
            const std::string to = str(q, 0, 1) + " (" + str(q, 0, 2) + ")";
            if (ref.starts_with("invitation:")) {
                const auto inv = ref.substr(11);
                c.run("UPDATE invitations SET delivery = 'sent', delivery_error = '' WHERE id = $1",
                      params().text(inv));
                add_history(c, inv, {now_ms, "sent", "system", to});
            } else if (ref.starts_with("access_request:")) {
                add_history(c, ref.substr(15), {now_ms, "sent", "system", to});
            }
            return {};
        });
    }

    store_result<void> mark_failed(std::int64_t id,
                                   std::string_view worker,
                                   std::int64_t now_ms,
                                   std::string_view error,
                                   std::int64_t retry_at_ms) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            const bool give_up = retry_at_ms == 0;
            auto q = c.run(
                "UPDATE mail_outbox SET status = $4, next_attempt_ms = $5, last_error = $3, "
                "lease_until_ms = 0 WHERE id = $1 AND claimed_by = $2 AND status = 'queued' "
                "RETURNING "
                "ref",
                params()
                    .int64(id)
                    .text(worker)
                    .text(error)
                    .text(give_up ? "failed" : "queued")
                    .int64(retry_at_ms));
            if (q.rows() == 0) return store_errc::not_found;
            const std::string ref = str(q, 0, 0);
            const std::string owner = ref.substr(ref.find(':') + 1);
            if (ref.starts_with("invitation:")) {
                c.run("UPDATE invitations SET delivery = $2, delivery_error = $3 WHERE id = $1",
                      params().text(owner).text(give_up ? "failed" : "retrying").text(error));
            }
            add_history(
                c, owner,
                {now_ms, give_up ? "emailFailed" : "emailRetry", "system", std::string(error)});
            return {};
        });
    }

    store_result<std::vector<outbox_message>> messages_for(std::string_view ref) override {
        return pool_.read([&](connection& c) -> store_result<std::vector<outbox_message>> {
            auto q = c.run(
                std::string("SELECT ") + mail_cols + " FROM mail_outbox WHERE ref = $1 ORDER BY id",
                params().text(ref));
            std::vector<outbox_message> out;
            for (int i = 0; i < q.rows(); ++i) out.push_back(read_mail(q, i));
            return out;
        });
    }

  private:
    pg::pool pool_;
};

}  // namespace

std::unique_ptr<invitation_backend> open_postgres_invitation_store(const postgres_config& cfg,
                                                                   std::string uri) {
    return std::make_unique<postgres_invitation_store>(cfg, std::move(uri));
}

}  // namespace orgscim::plugin
