#include <boost/json/parse.hpp>
#include <orgscim/plugin/orgs/provisioning_hook.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/service.hpp>

namespace orgscim::plugin::orgs {

namespace {

// "/Users" -> ("Users", ""), "/Users/42" -> ("Users", "42"); anything deeper: ("", "").
std::pair<std::string_view, std::string_view> split(std::string_view p) {
    while (p.starts_with('/')) p.remove_prefix(1);
    while (p.ends_with('/')) p.remove_suffix(1);
    const auto slash = p.find('/');
    if (slash == std::string_view::npos) return {p, {}};
    const auto rest = p.substr(slash + 1);
    if (rest.find('/') != std::string_view::npos) return {};
    return {p.substr(0, slash), rest};
}

}  // namespace

scim::result<void> admit_scim_request(directory_service& svc,
                                      const scim::request& req,
                                      const scim::caller& who) {
    if (who.tenant.empty() || req.method == "GET" || req.method == "HEAD") return {};
    if (req.method == "POST" && req.path.ends_with("/.search")) return {};
    auto org = svc.store().get_org(who.tenant);
    if (!org) {
        if (org.error() == store_errc::not_found) return {};
        return scim::to_scim_error(org.error(), "Organization");
    }
    if (org->status == "disabled") {
        return scim::error::forbidden("the organization is disabled: it serves no SCIM writes");
    }
    return {};
}

scim::result<void> follow_user_write(directory_service& svc,
                                     const scim::request& req,
                                     const scim::response& res,
                                     const scim::caller& who,
                                     std::vector<membership_record>* removed) {
    if (res.status >= 300 || who.tenant.empty()) return {};
    const auto [type, id] = split(req.path);
    if (!scim::iequals(type, "Users")) return {};
    const actor a = actor::from_caller(who);
    if (req.method == "DELETE" && !id.empty()) {
        auto r = svc.user_deprovisioned(a, who.tenant, id, true, removed);
        if (!r) return r.error();
        return {};
    }
    if (req.method != "POST" && req.method != "PUT" && req.method != "PATCH") return {};
    if (id == ".search") return {};
    boost::system::error_code ec;
    auto body = boost::json::parse(res.body, ec);
    // A PATCH may answer 204 without a body: then there is nothing to follow here.
    if (ec || !body.is_object()) return {};
    const auto& o = body.get_object();
    const auto* uid = o.if_contains("id");
    if (!uid || !uid->is_string()) return {};
    const std::string user_id(uid->get_string());
    if (req.method == "POST" && id.empty()) {
        std::string display;
        if (const auto* n = o.if_contains("userName"); n && n->is_string())
            display = n->get_string();
        auto r = svc.user_provisioned(a, who.tenant, user_id, display);
        if (!r) return r.error();
        return {};
    }
    if (const auto* act = o.if_contains("active"); act && act->is_bool() && !act->get_bool()) {
        auto r = svc.user_deprovisioned(a, who.tenant, user_id, false, removed);
        if (!r) return r.error();
    }
    return {};
}

}  // namespace orgscim::plugin::orgs
