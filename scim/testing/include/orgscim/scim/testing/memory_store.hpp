#pragma once
// The reference scim::resource_store: every rule of the port, kept in maps under one mutex. Unit
// tests use it as a fake; the storage conformance suite uses it as the oracle the database
// backends are compared against.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <orgscim/scim/store.hpp>
#include <set>
#include <string>

namespace orgscim::scim::testing {

class memory_store final : public resource_store {
  public:
    /// `clock` returns Unix epoch milliseconds; the system clock when empty.
    explicit memory_store(std::function<std::int64_t()> clock = {});

    store_result<resource_record> get(std::string_view tenant,
                                      const resource_type& type,
                                      std::string_view id,
                                      const fetch_options& fetch) override;
    store_result<list_result> list(std::string_view tenant,
                                   const resource_type& type,
                                   const list_request& req) override;
    store_result<resource_record> create(std::string_view tenant,
                                         const resource_type& type,
                                         const write_set& initial) override;
    store_result<resource_record> update(std::string_view tenant,
                                         const resource_type& type,
                                         std::string_view id,
                                         std::optional<std::uint64_t> if_match,
                                         const fetch_options& fetch,
                                         const mutate_fn& mutate) override;
    store_result<void> remove(std::string_view tenant,
                              const resource_type& type,
                              std::string_view id,
                              std::optional<std::uint64_t> if_match) override;

  private:
    struct stored {
        std::string type;  ///< resource_type::id
        std::uint64_t seq = 0;
        resource_record rec;  ///< members/groups always empty here
    };
    struct tenant_data {
        std::map<std::string, stored, std::less<>> by_id;
        /// group id -> member ids
        std::map<std::string, std::set<std::string>, std::less<>> members;
    };

    std::int64_t now() const;
    resource_record load(const tenant_data& t, const stored& s, const fetch_options& f) const;
    store_result<void> check_unique(const tenant_data& t,
                                    const resource_type& type,
                                    const boost::json::object& attrs,
                                    std::string_view self_id) const;
    store_result<void> apply_members(tenant_data& t,
                                     const std::string& group_id,
                                     const write_set& ws) const;

    std::function<std::int64_t()> clock_;
    mutable std::mutex mu_;
    std::map<std::string, tenant_data, std::less<>> tenants_;
    std::uint64_t next_seq_ = 1;
};

}  // namespace orgscim::scim::testing
