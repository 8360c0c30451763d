#pragma once
// The PostgreSQL backend (libpq): a pool of connections with per-connection prepared statements,
// row locks (SELECT ... FOR UPDATE) for read-modify-write, unique indexes on the fold_case()d
// columns for uniqueness, and retries on serialization failures and deadlocks. The same folded
// columns as SQLite are computed in C++, so both backends answer filters identically. Schema in
// postgres_migrations.cpp, applied at open under an advisory lock.

#include <cstdint>
#include <functional>
#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/backend.hpp>
#include <string>

namespace orgscim::plugin {

class postgres_store final : public backend {
  public:
    /// Connects to `uri` (a libpq URI or key=value string; open_backend() takes it from the
    /// environment variable named by cfg.uri_env, never from the config file) and applies pending
    /// migrations; several processes starting together apply them once. `clock` returns Unix
    /// epoch milliseconds (the system clock when empty). Throws startup_error with a one-line
    /// reason (no URI or password in it) when the database cannot be reached or migrated.
    postgres_store(const postgres_config& cfg,
                   std::string uri,
                   std::function<std::int64_t()> clock = {});
    ~postgres_store() override;
    postgres_store(const postgres_store&) = delete;
    postgres_store& operator=(const postgres_store&) = delete;

    // scim::resource_store
    store_result<scim::resource_record> get(std::string_view tenant,
                                            const scim::resource_type& type,
                                            std::string_view id,
                                            const scim::fetch_options& fetch) override;
    store_result<scim::list_result> list(std::string_view tenant,
                                         const scim::resource_type& type,
                                         const scim::list_request& req) override;
    store_result<scim::resource_record> create(std::string_view tenant,
                                               const scim::resource_type& type,
                                               const scim::write_set& initial) override;
    store_result<scim::resource_record> update(std::string_view tenant,
                                               const scim::resource_type& type,
                                               std::string_view id,
                                               std::optional<std::uint64_t> if_match,
                                               const scim::fetch_options& fetch,
                                               const mutate_fn& mutate) override;
    store_result<void> remove(std::string_view tenant,
                              const scim::resource_type& type,
                              std::string_view id,
                              std::optional<std::uint64_t> if_match) override;

    // org_store
    store_result<organization> create_org(std::string_view name,
                                          std::optional<std::string_view> parent_id) override;
    store_result<organization> get_org(std::string_view id) override;
    store_result<std::vector<organization>> list_orgs() override;

    // token_store
    store_result<token_info> create_token(std::string_view org_id,
                                          std::string_view name,
                                          std::string_view secret_hash,
                                          std::optional<std::int64_t> expires_ms,
                                          bool can_write) override;
    store_result<std::vector<token_info>> list_tokens(std::string_view org_id) override;
    store_result<void> revoke_token(std::string_view token_id, std::int64_t now_ms) override;
    store_result<std::pair<token_info, std::string>> find_token(
        std::string_view secret_hash) override;

    bool healthy() override;
    std::unique_ptr<unit_of_work> begin_unit(unit_mode mode) override;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace orgscim::plugin
