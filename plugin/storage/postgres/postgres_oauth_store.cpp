// PostgreSQL: OAuth clients and signing keys (issue 4).
//
// Locks, and why (several orgscim processes share the database; READ COMMITTED throughout):
// - create_client reads the org FOR SHARE, so the org cannot be deleted between the check and
//   the insert; a client id taken by a concurrent create is refused by the primary key
//   (23505 -> conflict).
// - add_secret / add_federated read the client FOR SHARE for the same reason; the other writes
//   are single statements (revoke keeps the first revocation time with coalesce).
// - add_signing_key after a signing_keys() that found none is the "first key on an empty
//   database" step every instance runs at start. It takes LOCK TABLE oauth_signing_keys IN SHARE
//   ROW EXCLUSIVE MODE (conflicts with itself and with inserts, not with readers) and inserts
//   only while the table still has no live key: instances starting together queue on the lock,
//   the first one inserts, the others get `conflict`, read again and all sign with the same
//   key. Any other add_signing_key (rotation) is a plain insert.

#include "postgres/postgres_oauth_store.hpp"

#include <atomic>
#include <unordered_map>

#include "postgres/pg_connection.hpp"
#include "postgres/postgres_migrations.hpp"

namespace orgscim::plugin::postgres {

// SQLite's migrations 5 and 6 in one step; ids and hashes are compared, so COLLATE "C".
const std::string_view oauth_schema = R"sql(
CREATE TABLE oauth_clients (
    client_id   TEXT COLLATE "C" PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL,
    name        TEXT NOT NULL,
    permissions BIGINT NOT NULL,
    created_ms  BIGINT NOT NULL,
    revoked_ms  BIGINT
);
CREATE INDEX oauth_clients_org ON oauth_clients (org_id);
CREATE TABLE oauth_client_secrets (
    id         TEXT COLLATE "C" PRIMARY KEY,
    client_id  TEXT COLLATE "C" NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    hash       TEXT COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT
);
CREATE INDEX oauth_client_secrets_client ON oauth_client_secrets (client_id);
CREATE TABLE oauth_signing_keys (
    kid         TEXT COLLATE "C" PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    retired_ms  BIGINT
);
CREATE TABLE oauth_client_federated (
    client_id TEXT COLLATE "C" NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    issuer    TEXT COLLATE "C" NOT NULL,
    subject   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (client_id, issuer, subject)
);
)sql";

// Trusted issuers added through the CLI (issue 4), read by every instance.
const std::string_view trusted_issuer_schema = R"sql(
CREATE TABLE trusted_issuers (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL,
    entry      TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
)sql";

}  // namespace orgscim::plugin::postgres

namespace orgscim::plugin {

using namespace pg;

namespace {

constexpr const char* client_cols = "client_id, org_id, name, permissions, created_ms, revoked_ms";

oauth_client_info read_client(const result& q, int i) {
    oauth_client_info c;
    c.client_id = std::string(q.text(i, 0));
    c.org_id = std::string(q.text(i, 1));
    c.name = std::string(q.text(i, 2));
    c.permissions = static_cast<std::uint8_t>(q.int64(i, 3));
    c.created_ms = q.int64(i, 4);
    c.revoked_ms = q.opt_int64(i, 5);
    return c;
}

// Secrets and federated identities of `clients`, two statements whatever their number.
void load_details(connection& c, std::vector<oauth_client_info>& clients) {
    if (clients.empty()) return;
    std::vector<std::string> ids;
    std::unordered_map<std::string, oauth_client_info*> by_id;
    for (auto& cl : clients) {
        ids.push_back(cl.client_id);
        by_id[cl.client_id] = &cl;
    }
    auto s = c.run(
        "SELECT client_id, id, hash, created_ms, expires_ms FROM oauth_client_secrets WHERE "
        "client_id = ANY($1::text[]) ORDER BY created_ms, id",
        params().text_array(ids));
    for (int i = 0; i < s.rows(); ++i) {
        by_id.at(std::string(s.text(i, 0)))
            ->secrets.push_back({std::string(s.text(i, 1)), std::string(s.text(i, 2)),
                                 s.int64(i, 3), s.opt_int64(i, 4)});
    }
    auto f = c.run(
        "SELECT client_id, issuer, subject FROM oauth_client_federated WHERE client_id = "
        "ANY($1::text[]) ORDER BY issuer, subject",
        params().text_array(ids));
    for (int i = 0; i < f.rows(); ++i) {
        by_id.at(std::string(f.text(i, 0)))
            ->federated.push_back({std::string(f.text(i, 1)), std::string(f.text(i, 2))});
    }
}

bool client_exists(connection& c, std::string_view client_id) {
    return c.run("SELECT 1 FROM oauth_clients WHERE client_id = $1 FOR SHARE",
                 params().text(client_id))
               .rows() == 1;
}

class postgres_oauth_store final : public oauth_store {
  public:
    postgres_oauth_store(const postgres_config& cfg,
                         std::string uri,
                         std::function<std::int64_t()> now)
        : now_(now ? std::move(now) : std::function<std::int64_t()>(&sql::system_now_ms)),
          pool_(cfg, std::move(uri)) {
        pool_.require_migration(4, "OAuth");
    }

    store_result<void> create_client(const oauth_client_info& cl) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            if (c.run("SELECT 1 FROM orgs WHERE id = $1 FOR SHARE", params().text(cl.org_id))
                    .rows() == 0)
                return store_errc::not_found;
            c.run(
                "INSERT INTO oauth_clients (client_id, org_id, name, permissions, created_ms) "
                "VALUES ($1, $2, $3, $4, $5)",
                params()
                    .text(cl.client_id)
                    .text(cl.org_id)
                    .text(cl.name)
                    .int64(std::int64_t{cl.permissions})
                    .int64(cl.created_ms != 0 ? cl.created_ms : now_()));
            for (const auto& s : cl.secrets) insert_secret(c, cl.client_id, s);
            return {};
        });
    }

    store_result<void> add_secret(std::string_view client_id, const oauth_secret_info& s) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            if (!client_exists(c, client_id)) return store_errc::not_found;
            insert_secret(c, client_id, s);
            return {};
        });
    }

    store_result<void> expire_other_secrets(std::string_view client_id,
                                            std::string_view keep_id,
                                            std::int64_t at_ms) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            if (!client_exists(c, client_id)) return store_errc::not_found;
            c.run(
                "UPDATE oauth_client_secrets SET expires_ms = least(coalesce(expires_ms, $3), $3) "
                "WHERE client_id = $1 AND id <> $2",
                params().text(client_id).text(keep_id).int64(at_ms));
            return {};
        });
    }

    store_result<void> add_federated(std::string_view client_id,
                                     const federated_identity& who) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            if (!client_exists(c, client_id)) return store_errc::not_found;
            c.run(
                "INSERT INTO oauth_client_federated (client_id, issuer, subject) VALUES ($1, $2, "
                "$3) ON CONFLICT DO NOTHING",
                params().text(client_id).text(who.issuer).text(who.subject));
            return {};
        });
    }

    store_result<oauth_client_info> find_client(std::string_view client_id) override {
        return pool_.read([&](connection& c) -> store_result<oauth_client_info> {
            transaction t(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            auto q = c.run(
                std::string("SELECT ") + client_cols + " FROM oauth_clients WHERE client_id = $1",
                params().text(client_id));
            if (q.rows() == 0) return store_errc::not_found;
            std::vector<oauth_client_info> one{read_client(q, 0)};
            load_details(c, one);
            t.commit();
            return std::move(one.front());
        });
    }

    store_result<std::vector<oauth_client_info>> list_clients(std::string_view org_id) override {
        return pool_.read([&](connection& c) -> store_result<std::vector<oauth_client_info>> {
            transaction t(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            auto q = c.run(std::string("SELECT ") + client_cols +
                               " FROM oauth_clients WHERE org_id = $1 ORDER BY created_ms, "
                               "client_id",
                           params().text(org_id));
            std::vector<oauth_client_info> out;
            for (int i = 0; i < q.rows(); ++i) out.push_back(read_client(q, i));
            load_details(c, out);
            t.commit();
            return out;
        });
    }

    store_result<void> revoke_client(std::string_view client_id, std::int64_t now_ms) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            auto q = c.run(
                "UPDATE oauth_clients SET revoked_ms = coalesce(revoked_ms, $2) WHERE client_id = "
                "$1",
                params().text(client_id).int64(now_ms));
            if (q.affected() == 0) return store_errc::not_found;
            return {};
        });
    }

    store_result<std::vector<signing_key_info>> signing_keys() override {
        auto keys = pool_.read([&](connection& c) -> store_result<std::vector<signing_key_info>> {
            auto q = c.run(
                "SELECT kid, alg, private_pem, created_ms FROM oauth_signing_keys WHERE "
                "retired_ms IS NULL ORDER BY created_ms, kid");
            std::vector<signing_key_info> out;
            for (int i = 0; i < q.rows(); ++i) {
                out.push_back({std::string(q.text(i, 0)), std::string(q.text(i, 1)),
                               std::string(q.text(i, 2)), q.int64(i, 3)});
            }
            return out;
        });
        if (keys) saw_no_key_ = keys->empty();
        return keys;
    }

    store_result<void> add_issuer(const trusted_issuer_record& r) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            c.run(
                "INSERT INTO trusted_issuers (id, org_id, entry, created_ms) "
                "VALUES ($1, $2, $3, $4)",
                params().text(r.id).text(r.org_id).text(r.entry).int64(r.created_ms ? r.created_ms
                                                                                    : now_()));
            return {};
        });
    }

    store_result<std::vector<trusted_issuer_record>> list_issuers() override {
        return pool_.read([&](connection& c) -> store_result<std::vector<trusted_issuer_record>> {
            auto q = c.run(
                "SELECT id, org_id, entry, created_ms FROM trusted_issuers "
                "ORDER BY created_ms, id");
            std::vector<trusted_issuer_record> out;
            for (int i = 0; i < q.rows(); ++i) {
                out.push_back({std::string(q.text(i, 0)), std::string(q.text(i, 1)),
                               std::string(q.text(i, 2)), q.int64(i, 3)});
            }
            return out;
        });
    }

    store_result<void> remove_issuer(std::string_view id) override {
        return pool_.write([&](connection& c) -> store_result<void> {
            auto q = c.run("DELETE FROM trusted_issuers WHERE id = $1", params().text(id));
            if (q.affected() == 0) return store_errc::not_found;
            return {};
        });
    }

    store_result<void> add_signing_key(const signing_key_info& k) override {
        const bool first = saw_no_key_.exchange(false);
        return pool_.write([&](connection& c) -> store_result<void> {
            if (first) {
                c.exec("LOCK TABLE oauth_signing_keys IN SHARE ROW EXCLUSIVE MODE");
                if (c.run("SELECT 1 FROM oauth_signing_keys WHERE retired_ms IS NULL LIMIT 1")
                        .rows() > 0)
                    return store_errc::conflict;
            }
            c.run(
                "INSERT INTO oauth_signing_keys (kid, alg, private_pem, created_ms) VALUES ($1, "
                "$2, $3, $4)",
                params()
                    .text(k.kid)
                    .text(k.alg)
                    .text(k.private_pem)
                    .int64(k.created_ms != 0 ? k.created_ms : now_()));
            return {};
        });
    }

  private:
    void insert_secret(connection& c, std::string_view client_id, const oauth_secret_info& s) {
        c.run(
            "INSERT INTO oauth_client_secrets (id, client_id, hash, created_ms, expires_ms) "
            "VALUES ($1, $2, $3, $4, $5)",
            params()
                .text(s.id)
                .text(client_id)
                .text(s.hash)
                .int64(s.created_ms != 0 ? s.created_ms : now_())
                .int64(s.expires_ms));
    }

    std::function<std::int64_t()> now_;
    pg::pool pool_;
    // Set by a signing_keys() that found none: the next add_signing_key is the first-key step.
    std::atomic<bool> saw_no_key_{false};
};

}  // namespace

std::unique_ptr<oauth_store> open_postgres_oauth_store(const postgres_config& cfg,
                                                       std::string uri,
                                                       std::function<std::int64_t()> now_ms) {
    return std::make_unique<postgres_oauth_store>(cfg, std::move(uri), std::move(now_ms));
}

}  // namespace orgscim::plugin
