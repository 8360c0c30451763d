#include <algorithm>
#include <boost/json.hpp>
#include <orgscim/plugin/invitations/policy.hpp>

namespace orgscim::plugin::invitations {

bool valid_kind(std::string_view kind) noexcept {
    return kind == "member" || kind == "parentUser" || kind == "managedCompany";
}

boost::system::result<std::int64_t, errc> lifetime_ms(const invitation_settings& s,
                                                      const org_policy& p,
                                                      std::string_view kind,
                                                      std::optional<std::int64_t> requested_s) {
    std::optional<std::int64_t> org_value;
    std::int64_t server_value = 0;
    if (kind == "member") {
        org_value = p.member_expiry_s;
        server_value = s.member_expiry_s;
    } else if (kind == "parentUser") {
        org_value = p.parent_user_expiry_s;
        server_value = s.parent_user_expiry_s;
    } else if (kind == "managedCompany") {
        org_value = p.managed_company_expiry_s;
        server_value = s.managed_company_expiry_s;
    } else {
        return errc::invalid_kind;
    }
    // An org policy outside the server bounds is clamped rather than refused: the bounds may have
    // been tightened after the org chose its value.
    std::int64_t policy_s =
        std::clamp(org_value.value_or(server_value), s.min_expiry_s, s.max_expiry_s);
    if (requested_s) {
        if (*requested_s > policy_s || *requested_s < s.min_expiry_s)
            return errc::expiry_out_of_bounds;
        policy_s = *requested_s;
    }
    return policy_s * 1000;
}

std::int64_t cooldown_ms(const invitation_settings& s, const org_policy& p) noexcept {
    return std::max<std::int64_t>(0, p.resend_cooldown_s.value_or(s.resend_cooldown_s)) * 1000;
}

std::int64_t reminder_at_ms(const invitation_settings& s,
                            const org_policy& p,
                            std::int64_t sent_ms,
                            std::int64_t expires_ms) noexcept {
    std::int64_t before = p.reminder_before_s.value_or(s.reminder_before_s) * 1000;
    if (before <= 0) return 0;
    std::int64_t at = expires_ms - before;
    // A reminder only makes sense when the invitee had at least as long as the reminder window.
    if (at - sent_ms < before) return 0;
    return at;
}

org_policy org_policy_from_settings(const boost::json::object& settings) {
    auto hours = [&](std::string_view key) -> std::optional<std::int64_t> {
        auto* v = settings.if_contains(key);
        if (!v) return std::nullopt;
        if (v->is_int64() && v->as_int64() >= 0) return v->as_int64() * 3600;
        if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64()) * 3600;
        return std::nullopt;
    };
    org_policy p;
    auto all = hours("invitationExpiryHours");
    p.member_expiry_s = hours("memberExpiryHours");
    if (!p.member_expiry_s) p.member_expiry_s = all;
    p.parent_user_expiry_s = hours("parentUserExpiryHours");
    if (!p.parent_user_expiry_s) p.parent_user_expiry_s = all;
    p.managed_company_expiry_s = hours("managedCompanyExpiryHours");
    if (!p.managed_company_expiry_s) p.managed_company_expiry_s = all;
    p.resend_cooldown_s = hours("resendCooldownHours");
    p.reminder_before_s = hours("reminderBeforeHours");
    // Validated when the settings were written (orgs::check_settings).
    if (const auto* t = settings.if_contains("emailTemplates"); t && t->is_object()) {
        for (const auto& [key, name] : {std::pair{"invitation", "invitation"},
                                        {"reminder", "reminder"},
                                        {"accessRequest", "access_request"},
                                        {"accessGranted", "access_granted"},
                                        {"accessDenied", "access_denied"}}) {
            const auto* one = t->as_object().if_contains(key);
            if (!one || !one->is_object()) continue;
            auto part = [&](std::string_view k) {
                const auto* v = one->as_object().if_contains(k);
                return v && v->is_string() ? std::string(v->as_string()) : std::string();
            };
            p.templates.emplace_back(
                name, mail::template_override{part("subject"), part("text"), part("html")});
        }
    }
    return p;
}

}  // namespace orgscim::plugin::invitations
