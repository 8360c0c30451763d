#pragma once
// The SQLite backend: one database file in WAL mode, a mutex-guarded write connection
// (BEGIN IMMEDIATE) and a pool of read connections with cached prepared statements, so reads run
// in parallel with each other and with the writer. Schema in sqlite_migrations.cpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/backend.hpp>

namespace orgscim::plugin {

class sqlite_store final : public backend {
  public:
    /// Opens (creating if needed) cfg.path and applies pending migrations. `clock` returns Unix
    /// epoch milliseconds (the system clock when empty). Throws startup_error with a one-line
    /// reason when the file cannot be opened or migrated, or cfg.synchronous is not one of
    /// "normal", "full", "extra".
    explicit sqlite_store(const sqlite_config& cfg, std::function<std::int64_t()> clock = {});
    ~sqlite_store() override;
    sqlite_store(const sqlite_store&) = delete;
    sqlite_store& operator=(const sqlite_store&) = delete;

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
