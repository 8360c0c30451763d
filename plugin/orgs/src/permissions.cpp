#include <array>
#include <orgscim/plugin/orgs/permissions.hpp>

namespace orgscim::plugin::orgs {

namespace {

constexpr std::array<std::string_view, permission_count> names_ = {
    "readUsers", "writeUsers", "manageGroups", "invite", "manageAccess", "manageOrg", "readEvents",
};

using P = permission;

// The seed products' roles. PMPC Cloud: Full Admin with Access Management > Full Admin (no role
// grants) > Read Only. MSPComplete: Administrator (only one who grants Administrator) > Manager
// (invites and manages people) > Associate (works, reads) > Inactive (suspended).
const std::array<role, 7> builtins = {{
    {std::string(builtin::full_admin_access),
     "Full Admin with Access Management",
     permission_set::all(),
     true,
     false,
     {}},
    {std::string(builtin::full_admin),
     "Full Admin",
     permission_set{P::read_users, P::write_users, P::manage_groups, P::invite, P::manage_org,
                    P::read_events},
     true,
     false,
     {}},
    {std::string(builtin::read_only),
     "Read Only",
     permission_set{P::read_users, P::read_events},
     true,
     false,
     {}},
    {std::string(builtin::administrator), "Administrator", permission_set::all(), true, false, {}},
    {std::string(builtin::manager),
     "Manager",
     permission_set{P::read_users, P::write_users, P::manage_groups, P::invite, P::read_events},
     true,
     false,
     {}},
    {std::string(builtin::associate), "Associate", permission_set{P::read_users}, true, false, {}},
    {std::string(builtin::inactive), "Inactive", permission_set{}, true, true, {}},
}};

}  // namespace

std::string_view to_string(permission p) noexcept { return names_[static_cast<std::size_t>(p)]; }

std::optional<permission> parse_permission(std::string_view s) noexcept {
    for (std::size_t i = 0; i < names_.size(); ++i) {
        if (names_[i] == s) return static_cast<permission>(i);
    }
    return std::nullopt;
}

std::vector<std::string> permission_set::names() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < permission_count; ++i) {
        if (has(static_cast<permission>(i))) out.emplace_back(names_[i]);
    }
    return out;
}

permission_set write_permissions() noexcept {
    return permission_set{P::write_users, P::manage_groups, P::invite, P::manage_access};
}

std::span<const role> builtin_roles() { return builtins; }

const role* find_builtin(std::string_view id) noexcept {
    for (const auto& r : builtins) {
        if (r.id == id) return &r;
    }
    return nullptr;
}

}  // namespace orgscim::plugin::orgs
