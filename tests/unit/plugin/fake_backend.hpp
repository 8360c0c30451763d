#pragma once
// A backend for unit tests: resources in the reference memory_store, organizations and tokens in
// maps. `healthy` can be switched off to exercise /readyz.

#include <atomic>
#include <map>
#include <mutex>
#include <orgscim/plugin/storage/backend.hpp>
#include <orgscim/scim/testing/memory_store.hpp>
#include <string>

namespace orgscim::plugin::testing {

class fake_backend final : public backend {
  public:
    std::atomic<bool> is_healthy{true};
    std::atomic<int> find_calls{0};

    bool healthy() override { return is_healthy.load(); }
    // No transactions in memory: a unit commits nothing and never asks to be run again.
    std::unique_ptr<unit_of_work> begin_unit(unit_mode /*mode*/) override {
        struct no_unit final : unit_of_work {
            scim::store_result<void> commit() override { return {}; }
            bool retry() const override { return false; }
        };
        return std::make_unique<no_unit>();
    }

    // resource_store
    scim::store_result<scim::resource_record> get(std::string_view t,
                                                  const scim::resource_type& ty,
                                                  std::string_view id,
                                                  const scim::fetch_options& f) override {
        return mem_.get(t, ty, id, f);
    }
    scim::store_result<scim::list_result> list(std::string_view t,
                                               const scim::resource_type& ty,
                                               const scim::list_request& r) override {
        return mem_.list(t, ty, r);
    }
    scim::store_result<scim::resource_record> create(std::string_view t,
                                                     const scim::resource_type& ty,
                                                     const scim::write_set& w) override {
        return mem_.create(t, ty, w);
    }
    scim::store_result<scim::resource_record> update(std::string_view t,
                                                     const scim::resource_type& ty,
                                                     std::string_view id,
                                                     std::optional<std::uint64_t> m,
                                                     const scim::fetch_options& f,
                                                     const mutate_fn& fn) override {
        return mem_.update(t, ty, id, m, f, fn);
    }
    scim::store_result<void> remove(std::string_view t,
                                    const scim::resource_type& ty,
                                    std::string_view id,
                                    std::optional<std::uint64_t> m) override {
        return mem_.remove(t, ty, id, m);
    }

    // org_store
    store_result<organization> create_org(std::string_view name,
                                          std::optional<std::string_view> parent) override {
        std::lock_guard lock(mu_);
        if (parent && !orgs_.contains(std::string(*parent))) return store_errc::not_found;
        organization o;
        o.id = "org-" + std::to_string(++seq_);
        o.name = name;
        if (parent) o.parent_id = std::string(*parent);
        o.created_ms = seq_;
        orgs_[o.id] = o;
        return o;
    }
    store_result<organization> get_org(std::string_view id) override {
        std::lock_guard lock(mu_);
        auto it = orgs_.find(std::string(id));
        if (it == orgs_.end()) return store_errc::not_found;
        return it->second;
    }
    store_result<std::vector<organization>> list_orgs() override {
        std::lock_guard lock(mu_);
        std::vector<organization> out;
        for (const auto& [k, v] : orgs_) out.push_back(v);
        return out;
    }

    // token_store
    store_result<token_info> create_token(std::string_view org,
                                          std::string_view name,
                                          std::string_view hash,
                                          std::optional<std::int64_t> expires_ms,
                                          bool can_write) override {
        std::lock_guard lock(mu_);
        if (!orgs_.contains(std::string(org))) return store_errc::not_found;
        token_info t;
        t.id = "tok-" + std::to_string(++seq_);
        t.org_id = org;
        t.name = name;
        t.expires_ms = expires_ms;
        t.can_write = can_write;
        tokens_[std::string(hash)] = t;
        return t;
    }
    store_result<std::vector<token_info>> list_tokens(std::string_view org) override {
        std::lock_guard lock(mu_);
        std::vector<token_info> out;
        for (const auto& [h, t] : tokens_) {
            if (t.org_id == org) out.push_back(t);
        }
        return out;
    }
    store_result<void> revoke_token(std::string_view id, std::int64_t now_ms) override {
        std::lock_guard lock(mu_);
        for (auto& [h, t] : tokens_) {
            if (t.id == id) {
                if (!t.revoked_ms) t.revoked_ms = now_ms;
                return {};
            }
        }
        return store_errc::not_found;
    }
    store_result<std::pair<token_info, std::string>> find_token(std::string_view hash) override {
        ++find_calls;
        std::lock_guard lock(mu_);
        if (unavailable) return store_errc::unavailable;
        auto it = tokens_.find(std::string(hash));
        if (it == tokens_.end()) return store_errc::not_found;
        return std::pair<token_info, std::string>{it->second, it->first};
    }

    bool unavailable = false;

  private:
    scim::testing::memory_store mem_;
    std::mutex mu_;
    int seq_ = 0;
    std::map<std::string, organization> orgs_;
    std::map<std::string, token_info> tokens_;
};

}  // namespace orgscim::plugin::testing
