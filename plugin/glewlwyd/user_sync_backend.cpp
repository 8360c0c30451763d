#include "user_sync_backend.hpp"

#include <orgscim/scim/schema.hpp>
#include <utility>

namespace orgscim::plugin::glewlwyd {
namespace {

std::string user_name_of(const boost::json::object& attrs) {
    if (const auto* v = attrs.if_contains("userName"); v != nullptr && v->is_string()) {
        return std::string{v->get_string()};
    }
    return {};
}

bool is_user(const scim::resource_type& type) { return type.name == "User"; }

class user_sync_backend final : public backend {
  public:
    user_sync_backend(std::unique_ptr<backend> inner, user_sync sync)
        : inner_(std::move(inner)), sync_(std::move(sync)) {}

    store_result<scim::resource_record> get(std::string_view tenant,
                                            const scim::resource_type& type,
                                            std::string_view id,
                                            const scim::fetch_options& fetch) override {
        return inner_->get(tenant, type, id, fetch);
    }

    store_result<scim::list_result> list(std::string_view tenant,
                                         const scim::resource_type& type,
                                         const scim::list_request& req) override {
        return inner_->list(tenant, type, req);
    }

    store_result<scim::resource_record> create(std::string_view tenant,
                                               const scim::resource_type& type,
                                               const scim::write_set& initial) override {
        auto r = inner_->create(tenant, type, initial);
        if (r && is_user(type)) notify(user_event::created, tenant, *r, {});
        return r;
    }

    store_result<scim::resource_record> update(std::string_view tenant,
                                               const scim::resource_type& type,
                                               std::string_view id,
                                               std::optional<std::uint64_t> if_match,
                                               const scim::fetch_options& fetch,
                                               const mutate_fn& mutate) override {
        if (!is_user(type)) return inner_->update(tenant, type, id, if_match, fetch, mutate);
        std::string previous;
        const mutate_fn remember = [&](const scim::resource_record& current) {
            previous = user_name_of(current.attrs);
            return mutate(current);
        };
        auto r = inner_->update(tenant, type, id, if_match, fetch, remember);
        if (r) {
            const auto* active = r->attrs.if_contains("active");
            const bool disabled = active != nullptr && active->is_bool() && !active->get_bool();
            notify(disabled ? user_event::disabled : user_event::updated, tenant, *r, previous);
        }
        return r;
    }

    store_result<void> remove(std::string_view tenant,
                              const scim::resource_type& type,
                              std::string_view id,
                              std::optional<std::uint64_t> if_match) override {
        if (!is_user(type)) return inner_->remove(tenant, type, id, if_match);
        auto before = inner_->get(tenant, type, id, {.members = false, .groups = false});
        auto r = inner_->remove(tenant, type, id, if_match);
        if (r && before) notify(user_event::deleted, tenant, *before, {});
        return r;
    }

    store_result<organization> create_org(std::string_view name,
                                          std::optional<std::string_view> parent_id) override {
        return inner_->create_org(name, parent_id);
    }
    store_result<organization> get_org(std::string_view id) override { return inner_->get_org(id); }
    store_result<std::vector<organization>> list_orgs() override { return inner_->list_orgs(); }

    store_result<token_info> create_token(std::string_view org_id,
                                          std::string_view name,
                                          std::string_view secret_hash,
                                          std::optional<std::int64_t> expires_ms,
                                          bool can_write) override {
        return inner_->create_token(org_id, name, secret_hash, expires_ms, can_write);
    }
    store_result<std::vector<token_info>> list_tokens(std::string_view org_id) override {
        return inner_->list_tokens(org_id);
    }
    store_result<void> revoke_token(std::string_view token_id, std::int64_t now_ms) override {
        return inner_->revoke_token(token_id, now_ms);
    }
    store_result<std::pair<token_info, std::string>> find_token(
        std::string_view secret_hash) override {
        return inner_->find_token(secret_hash);
    }

    bool healthy() override { return inner_->healthy(); }
    // A user change reaches Glewlwyd when the store call returns, before the unit commits: a unit
    // rolled back afterwards (its follow-up failed) leaves the mirror ahead until the next write.
    std::unique_ptr<unit_of_work> begin_unit(unit_mode mode) override {
        return inner_->begin_unit(mode);
    }

  private:
    void notify(user_event event,
                std::string_view tenant,
                const scim::resource_record& record,
                const std::string& previous) const {
        user_change change;
        change.event = event;
        change.org_id = tenant;
        change.id = record.id;
        change.user_name = user_name_of(record.attrs);
        if (!previous.empty() && previous != change.user_name) change.previous_user_name = previous;
        if (event != user_event::deleted) {
            change.resource = record.attrs;
            change.resource["id"] = record.id;
        }
        sync_(change);
    }

    std::unique_ptr<backend> inner_;
    user_sync sync_;
};

}  // namespace

std::unique_ptr<backend> with_user_sync(std::unique_ptr<backend> inner, user_sync sync) {
    return std::make_unique<user_sync_backend>(std::move(inner), std::move(sync));
}

}  // namespace orgscim::plugin::glewlwyd
