#pragma once
// Permissions and roles of the organization model. A role is a named permission set; built-in
// roles mirror the seed products (PMPC Cloud, MSPComplete), custom roles belong to one org.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin::orgs {

enum class permission : std::uint8_t {
    read_users,
    write_users,
    manage_groups,
    invite,
    manage_access,  ///< grant and revoke roles, manage custom roles and group mappings
    manage_org,     ///< settings, status, child organizations
    read_events,
};
inline constexpr std::size_t permission_count = 7;

/// The wire spelling ("readUsers"); parse_permission() is its inverse (exact match).
std::string_view to_string(permission p) noexcept;
std::optional<permission> parse_permission(std::string_view s) noexcept;

/// A small value-type set of permissions (bit mask).
class permission_set {
  public:
    constexpr permission_set() = default;
    constexpr explicit permission_set(std::uint32_t mask) : mask_(mask & all_mask) {}
    permission_set(std::initializer_list<permission> ps) {
        for (auto p : ps) add(p);
    }
    static constexpr permission_set all() { return permission_set(all_mask); }

    constexpr bool has(permission p) const noexcept { return (mask_ >> bit(p)) & 1u; }
    constexpr void add(permission p) noexcept { mask_ |= 1u << bit(p); }
    constexpr void remove(permission p) noexcept { mask_ &= ~(1u << bit(p)); }
    constexpr bool empty() const noexcept { return mask_ == 0; }
    /// True when every permission of `other` is in this set.
    constexpr bool covers(permission_set other) const noexcept {
        return (other.mask_ & ~mask_) == 0;
    }
    constexpr std::uint32_t mask() const noexcept { return mask_; }
    constexpr permission_set operator|(permission_set o) const {
        return permission_set(mask_ | o.mask_);
    }
    constexpr permission_set& operator|=(permission_set o) {
        mask_ |= o.mask_;
        return *this;
    }
    constexpr permission_set operator&(permission_set o) const {
        return permission_set(mask_ & o.mask_);
    }
    friend constexpr bool operator==(permission_set, permission_set) = default;

    /// Wire names in enum order.
    std::vector<std::string> names() const;

  private:
    static constexpr std::uint32_t all_mask = (1u << permission_count) - 1;
    static constexpr unsigned bit(permission p) { return static_cast<unsigned>(p); }
    std::uint32_t mask_ = 0;
};

/// Permissions that change data; a disabled organization keeps none of them.
permission_set write_permissions() noexcept;

struct role {
    std::string id;    ///< built-in: "full-admin"; custom: a UUID
    std::string name;  ///< "Full Admin"
    permission_set permissions;
    bool builtin = false;
    /// The Inactive role: a member holding it has no permissions in that org, but keeps the
    /// membership and the other roles (suspended, not deleted).
    bool suspends = false;
    std::string org_id;  ///< custom roles only
};

/// Built-in role ids.
namespace builtin {
inline constexpr std::string_view full_admin_access = "full-admin-access";
inline constexpr std::string_view full_admin = "full-admin";
inline constexpr std::string_view read_only = "read-only";
inline constexpr std::string_view administrator = "administrator";
inline constexpr std::string_view manager = "manager";
inline constexpr std::string_view associate = "associate";
inline constexpr std::string_view inactive = "inactive";
}  // namespace builtin

/// Every built-in role, in a stable order.
std::span<const role> builtin_roles();
/// The built-in role with this id, or nullptr.
const role* find_builtin(std::string_view id) noexcept;

}  // namespace orgscim::plugin::orgs
