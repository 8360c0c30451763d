#pragma once
// PostgreSQL implementation of invitation_store and outbox_store (tables of migration 3), for
// several orgscim instances sharing one database. The locks each operation takes are described
// at the top of postgres_invitation_store.cpp.

#include <memory>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/storage/invitation_backend.hpp>
#include <string>

namespace orgscim::plugin {

class postgres_invitation_store final : public invitation_backend {
  public:
    /// Connects to `uri` (libpq URI or key=value string) on a database that postgres_store has
    /// migrated. Throws startup_error when it cannot connect or the invitation tables are
    /// missing.
    postgres_invitation_store(const postgres_config& cfg, std::string uri);
    ~postgres_invitation_store() override;
    postgres_invitation_store(const postgres_invitation_store&) = delete;
    postgres_invitation_store& operator=(const postgres_invitation_store&) = delete;

    scim::store_result<std::vector<scim::store_result<invitation_record>>> insert_invitations(
        std::vector<invitation_write> items, bool replace, std::int64_t now_ms) override;
    scim::store_result<invitation_record> get_invitation(std::string_view org_id,
                                                         std::string_view id) override;
    scim::store_result<invitation_record> find_by_token(std::string_view token_hash) override;
    scim::store_result<std::vector<invitation_record>> list_invitations(
        std::string_view org_id) override;
    scim::store_result<std::optional<invitation_record>> find_pending(std::string_view org_id,
                                                                      std::string_view kind,
                                                                      std::string_view email,
                                                                      std::int64_t now_ms) override;
    scim::store_result<invitation_record> update_invitation(
        std::string_view org_id, std::string_view id, const invitation_mutate& mutate) override;
    scim::store_result<void> delete_invitation(std::string_view org_id,
                                               std::string_view id) override;
    scim::store_result<std::vector<invitation_record>> due_invitations(std::int64_t now_ms,
                                                                       std::size_t limit) override;
    scim::store_result<access_request_record> insert_access_request(
        access_request_write w) override;
    scim::store_result<access_request_record> get_access_request(std::string_view org_id,
                                                                 std::string_view id) override;
    scim::store_result<std::optional<access_request_record>> find_pending_request(
        std::string_view org_id, std::string_view requester) override;
    scim::store_result<std::vector<access_request_record>> list_access_requests(
        std::string_view org_id) override;
    scim::store_result<access_request_record> update_access_request(
        std::string_view org_id, std::string_view id, const access_request_mutate& mutate) override;

    scim::store_result<std::vector<outbox_message>> claim(std::string_view worker,
                                                          std::int64_t now_ms,
                                                          std::int64_t lease_ms,
                                                          std::size_t max) override;
    scim::store_result<void> mark_sent(std::int64_t id,
                                       std::string_view worker,
                                       std::int64_t now_ms) override;
    scim::store_result<void> mark_failed(std::int64_t id,
                                         std::string_view worker,
                                         std::int64_t now_ms,
                                         std::string_view error,
                                         std::int64_t retry_at_ms) override;
    scim::store_result<std::vector<outbox_message>> messages_for(std::string_view ref) override;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace orgscim::plugin
