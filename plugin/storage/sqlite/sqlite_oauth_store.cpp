// SQLite implementation of oauth_store (tables of migration 5): its own connection to the
// database file (WAL), one mutex; clients and secrets written in one BEGIN IMMEDIATE.

#include "sqlite/sqlite_oauth_store.hpp"

#include <mutex>
#include <orgscim/plugin/storage/oauth_store.hpp>
#include <utility>

#include "sql/records.hpp"
#include "sqlite/sqlite_db.hpp"

namespace orgscim::plugin {

namespace {

using sqlite::guarded;
using sqlite::stmt;

class sqlite_oauth_store final : public oauth_store {
  public:
    sqlite_oauth_store(const sqlite_config& cfg, std::function<std::int64_t()> now)
        : now_(now ? std::move(now) : std::function<std::int64_t()>(&sql::system_now_ms)),
          // Secrets and federated credentials name an existing client (REFERENCES ... CASCADE).
          db_(sqlite::open_store(cfg.path,
                                 {.busy_timeout_ms = cfg.busy_timeout_ms, .foreign_keys = true},
                                 6,
                                 "OAuth")) {}

    store_result<void> create_client(const oauth_client_info& c) override {
        return guarded(mu_, [&]() -> store_result<void> {
            sqlite::transaction t(*db_, true);
            stmt org(*db_, "SELECT 1 FROM orgs WHERE id = ?1");
            if (!org.bind(1, c.org_id).step()) return store_errc::not_found;
            stmt ins(*db_,
                     "INSERT INTO oauth_clients (client_id, org_id, name, permissions, "
                     "created_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
            ins.bind(1, c.client_id)
                .bind(2, c.org_id)
                .bind(3, c.name)
                .bind(4, std::int64_t{c.permissions})
                .bind(5, c.created_ms ? c.created_ms : now_())
                .step();
            for (const auto& s : c.secrets) insert_secret(c.client_id, s);
            t.commit();
            return {};
        });
    }

    store_result<void> add_secret(std::string_view client_id, const oauth_secret_info& s) override {
        return guarded(mu_, [&]() -> store_result<void> {
            if (!has_client(client_id)) return store_errc::not_found;
            insert_secret(client_id, s);
            return {};
        });
    }

    store_result<void> expire_other_secrets(std::string_view client_id,
                                            std::string_view keep_id,
                                            std::int64_t at_ms) override {
        return guarded(mu_, [&]() -> store_result<void> {
            if (!has_client(client_id)) return store_errc::not_found;
            stmt u(*db_,
                   "UPDATE oauth_client_secrets SET expires_ms = min(coalesce(expires_ms, ?3), ?3) "
                   "WHERE client_id = ?1 AND id <> ?2");
            u.bind(1, client_id).bind(2, keep_id).bind(3, at_ms).step();
            return {};
        });
    }

    store_result<void> add_federated(std::string_view client_id,
                                     const federated_identity& who) override {
        return guarded(mu_, [&]() -> store_result<void> {
            if (!has_client(client_id)) return store_errc::not_found;
            stmt ins(*db_,
                     "INSERT OR IGNORE INTO oauth_client_federated (client_id, issuer, subject) "
                     "VALUES (?1, ?2, ?3)");
            ins.bind(1, client_id).bind(2, who.issuer).bind(3, who.subject).step();
            return {};
        });
    }

    store_result<oauth_client_info> find_client(std::string_view client_id) override {
        return guarded(mu_, [&]() -> store_result<oauth_client_info> {
            stmt q(*db_,
                   "SELECT client_id, org_id, name, permissions, created_ms, revoked_ms "
                   "FROM oauth_clients WHERE client_id = ?1");
            if (!q.bind(1, client_id).step()) return store_errc::not_found;
            auto c = read_client(q);
            load_secrets(c);
            return c;
        });
    }

    store_result<std::vector<oauth_client_info>> list_clients(std::string_view org_id) override {
        return guarded(mu_, [&]() -> store_result<std::vector<oauth_client_info>> {
            std::vector<oauth_client_info> out;
            stmt q(*db_,
                   "SELECT client_id, org_id, name, permissions, created_ms, revoked_ms "
                   "FROM oauth_clients WHERE org_id = ?1 ORDER BY created_ms, client_id");
            q.bind(1, org_id);
            while (q.step()) out.push_back(read_client(q));
            for (auto& c : out) load_secrets(c);
            return out;
        });
    }

    store_result<void> revoke_client(std::string_view client_id, std::int64_t now_ms) override {
        return guarded(mu_, [&]() -> store_result<void> {
            stmt q(*db_,
                   "UPDATE oauth_clients SET revoked_ms = coalesce(revoked_ms, ?2) "
                   "WHERE client_id = ?1");
            q.bind(1, client_id).bind(2, now_ms).step();
            if (db_->changes() == 0) return store_errc::not_found;
            return {};
        });
    }

    store_result<std::vector<signing_key_info>> signing_keys() override {
        return guarded(mu_, [&]() -> store_result<std::vector<signing_key_info>> {
            auto out = rows<signing_key_info>(
                "SELECT kid, alg, private_pem, created_ms FROM oauth_signing_keys "
                "WHERE retired_ms IS NULL ORDER BY created_ms, kid");
            saw_no_key_ = out.empty();
            return out;
        });
    }

    store_result<void> add_signing_key(const signing_key_info& k) override {
        return guarded(mu_, [&]() -> store_result<void> {
            const bool first = std::exchange(saw_no_key_, false);
            // After a read that found no key this is the first-key step of a starting instance:
            // one statement, so another process on the file cannot slip its own first key in.
            stmt q(*db_, first
                             ? "INSERT INTO oauth_signing_keys (kid, alg, private_pem, created_ms) "
                               "SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (SELECT 1 FROM "
                               "oauth_signing_keys WHERE retired_ms IS NULL)"
                             : "INSERT INTO oauth_signing_keys (kid, alg, private_pem, created_ms) "
                               "VALUES (?1, ?2, ?3, ?4)");
            q.bind(1, k.kid).bind(2, k.alg).bind(3, k.private_pem);
            q.bind(4, k.created_ms ? k.created_ms : now_()).step();
            if (db_->changes() == 0) return store_errc::conflict;
            return {};
        });
    }

    store_result<void> add_issuer(const trusted_issuer_record& r) override {
        return guarded(mu_, [&]() -> store_result<void> {
            stmt q(*db_,
                   "INSERT INTO trusted_issuers (id, org_id, entry, created_ms) "
                   "VALUES (?1, ?2, ?3, ?4)");
            q.bind(1, r.id).bind(2, r.org_id).bind(3, r.entry);
            q.bind(4, r.created_ms ? r.created_ms : now_()).step();
            return {};
        });
    }

    store_result<std::vector<trusted_issuer_record>> list_issuers() override {
        return guarded(mu_, [&]() -> store_result<std::vector<trusted_issuer_record>> {
            return rows<trusted_issuer_record>(
                "SELECT id, org_id, entry, created_ms FROM trusted_issuers ORDER BY created_ms, "
                "id");
        });
    }

    store_result<void> remove_issuer(std::string_view id) override {
        return guarded(mu_, [&]() -> store_result<void> {
            stmt q(*db_, "DELETE FROM trusted_issuers WHERE id = ?1");
            q.bind(1, id).step();
            if (db_->changes() == 0) return store_errc::not_found;
            return {};
        });
    }

  private:
    bool has_client(std::string_view client_id) {
        return stmt(*db_, "SELECT 1 FROM oauth_clients WHERE client_id = ?1")
            .bind(1, client_id)
            .step();
    }

    // Signing keys and trusted issuers are both three texts and a creation time.
    template <class Row>
    std::vector<Row> rows(std::string_view sql) {
        std::vector<Row> out;
        stmt q(*db_, sql);
        while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), q.int64(3)});
        return out;
    }

    void insert_secret(std::string_view client_id, const oauth_secret_info& s) {
        stmt ins(*db_,
                 "INSERT INTO oauth_client_secrets (id, client_id, hash, created_ms, expires_ms) "
                 "VALUES (?1, ?2, ?3, ?4, ?5)");
        ins.bind(1, s.id)
            .bind(2, client_id)
            .bind(3, s.hash)
            .bind(4, s.created_ms ? s.created_ms : now_())
            .bind(5, s.expires_ms)
            .step();
    }

    static oauth_client_info read_client(const stmt& q) {
        oauth_client_info c;
        c.client_id = q.text(0);
        c.org_id = q.text(1);
        c.name = q.text(2);
        c.permissions = static_cast<std::uint8_t>(q.int64(3));
        c.created_ms = q.int64(4);
        c.revoked_ms = q.opt_int64(5);
        return c;
    }

    void load_secrets(oauth_client_info& c) {
        stmt q(*db_,
               "SELECT id, hash, created_ms, expires_ms FROM oauth_client_secrets "
               "WHERE client_id = ?1 ORDER BY created_ms, id");
        q.bind(1, c.client_id);
        while (q.step()) c.secrets.push_back({q.text(0), q.text(1), q.int64(2), q.opt_int64(3)});
        stmt f(*db_,
               "SELECT issuer, subject FROM oauth_client_federated WHERE client_id = ?1 "
               "ORDER BY issuer, subject");
        f.bind(1, c.client_id);
        while (f.step()) c.federated.push_back({f.text(0), f.text(1)});
    }

    std::function<std::int64_t()> now_;
    std::mutex mu_;
    std::unique_ptr<sqlite::connection> db_;
    bool saw_no_key_ = false;  // the last signing_keys() found none (guarded by mu_)
};

}  // namespace

std::unique_ptr<oauth_store> open_sqlite_oauth_store(const sqlite_config& cfg,
                                                     std::function<std::int64_t()> now_ms) {
    return std::make_unique<sqlite_oauth_store>(cfg, std::move(now_ms));
}

}  // namespace orgscim::plugin
