#include <algorithm>
#include <orgscim/plugin/orgs/rules.hpp>

namespace orgscim::plugin::orgs {

namespace {

scim::error invalid(std::string detail) {
    return scim::error::bad_request(scim::scim_type::invalid_value, std::move(detail));
}

// 409 without a scimType: the request is well-formed but the current state forbids it.
scim::error state_conflict(std::string detail) {
    return scim::error{409, scim::scim_type::none, std::move(detail)};
}

std::string_view root_of(const org_shape& o) {
    return o.ancestors.empty() ? std::string_view(o.id) : std::string_view(o.ancestors.front());
}

}  // namespace

scim::result<void> check_parent(std::string_view org_id,
                                const std::optional<org_shape>& current,
                                const org_shape& parent) {
    if (parent.id == org_id || std::find(parent.ancestors.begin(), parent.ancestors.end(),
                                         org_id) != parent.ancestors.end()) {
        return invalid("an organization cannot be its own ancestor");
    }
    if (current && root_of(*current) != root_of(parent)) {
        return invalid("the new parent is in another organization tree");
    }
    return {};
}

scim::result<void> check_managed_by(const std::optional<std::string>& managed_by,
                                    const std::optional<std::string>& parent_id) {
    if (!managed_by) return {};
    if (!parent_id || *managed_by != *parent_id) {
        return invalid("managedBy must be the organization's parent");
    }
    return {};
}

scim::result<void> check_status(std::string_view status) {
    if (status == "active" || status == "disabled") return {};
    return invalid("status must be \"active\" or \"disabled\"");
}

scim::result<void> check_delete(std::size_t child_count, bool cascade) {
    if (child_count > 0 && !cascade) {
        return state_conflict(
            "the organization has child organizations: delete them first or ask to cascade");
    }
    return {};
}

scim::result<void> check_grant(permission_set grantor, std::span<const role> roles) {
    if (!grantor.has(permission::manage_access)) {
        return scim::error::forbidden("granting roles needs the manageAccess permission");
    }
    for (const auto& r : roles) {
        if (!grantor.covers(r.permissions)) {
            return scim::error::forbidden("the role \"" + r.name +
                                          "\" holds permissions the grantor does not hold");
        }
    }
    return {};
}

bool is_access_manager(std::span<const role> roles) noexcept {
    bool manages = false;
    for (const auto& r : roles) {
        if (r.suspends) return false;
        if (r.permissions.has(permission::manage_access)) manages = true;
    }
    return manages;
}

scim::result<void> check_last_access_manager(std::size_t managers_before, bool was, bool will_be) {
    if (was && !will_be && managers_before <= 1) {
        return state_conflict(
            "this member is the organization's last access manager: grant manageAccess to "
            "someone else first");
    }
    return {};
}

scim::result<std::vector<role>> resolve_roles(std::span<const std::string> ids,
                                              std::span<const role> custom) {
    std::vector<role> out;
    out.reserve(ids.size());
    for (const auto& id : ids) {
        if (const role* b = find_builtin(id)) {
            out.push_back(*b);
            continue;
        }
        auto it =
            std::find_if(custom.begin(), custom.end(), [&](const role& r) { return r.id == id; });
        if (it == custom.end()) return invalid("no such role: \"" + id + "\"");
        out.push_back(*it);
    }
    return out;
}

permission_set effective_permissions(std::span<const level> root_to_target) noexcept {
    permission_set carried;
    bool target_disabled = false;
    for (std::size_t i = 0; i < root_to_target.size(); ++i) {
        const level& l = root_to_target[i];
        const bool inherits = i > 0 && l.managed_by_parent;
        permission_set here = inherits ? carried : permission_set{};
        if (l.member) {
            if (l.member->override_inherited) here = permission_set{};
            here |= l.member->granted;
            if (l.member->suspended) here = permission_set{};
        }
        carried = here;
        target_disabled = l.disabled;
    }
    if (target_disabled) {
        permission_set kept;
        for (std::size_t p = 0; p < permission_count; ++p) {
            const auto perm = static_cast<permission>(p);
            if (carried.has(perm) && !write_permissions().has(perm)) kept.add(perm);
        }
        carried = kept;
    }
    return carried;
}

permission_set credential_permissions(bool can_write) noexcept {
    permission_set p{permission::read_users};
    if (can_write) {
        p.add(permission::write_users);
        p.add(permission::manage_groups);
    }
    return p;
}

}  // namespace orgscim::plugin::orgs
