#pragma once
// Expiry, cooldown and reminder policy: server-wide defaults and bounds (config), overridden per
// organization (data, from the organization's settings), optionally shortened per invitation.

#include <boost/json/fwd.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <optional>
#include <orgscim/plugin/invitations/errors.hpp>
#include <orgscim/plugin/mail/templates.hpp>
#include <string_view>
#include <utility>
#include <vector>

namespace orgscim::plugin::invitations {

inline constexpr std::int64_t hour_ms = 3600LL * 1000;
inline constexpr std::int64_t day_ms = 24 * hour_ms;

/// Server-wide settings (config). Defaults are the product's: member 7 days, parentUser 72 hours,
/// managedCompany 15 days, resend cooldown 6 hours, reminder 48 hours before expiry.
struct invitation_settings {
    std::int64_t member_expiry_s = 7 * 24 * 3600;
    std::int64_t parent_user_expiry_s = 72 * 3600;
    std::int64_t managed_company_expiry_s = 15 * 24 * 3600;
    std::int64_t min_expiry_s = 3600;            ///< no policy or invitation goes below
    std::int64_t max_expiry_s = 30 * 24 * 3600;  ///< nor above
    std::int64_t resend_cooldown_s = 6 * 3600;
    std::int64_t reminder_before_s = 48 * 3600;    ///< 0: no reminders
    std::int64_t renotify_interval_s = 24 * 3600;  ///< access request "renotify" rate limit
    std::int64_t max_invitees_per_request = 1000;
};

/// An organization's own policy (all optional; unset falls back to the server default).
struct org_policy {
    std::optional<std::int64_t> member_expiry_s;
    std::optional<std::int64_t> parent_user_expiry_s;
    std::optional<std::int64_t> managed_company_expiry_s;
    std::optional<std::int64_t> resend_cooldown_s;
    std::optional<std::int64_t> reminder_before_s;
    /// settings.emailTemplates, by outbox template name ("invitation", "reminder",
    /// "access_request", "access_granted", "access_denied").
    std::vector<std::pair<std::string, mail::template_override>> templates;
};

/// An organization's invitation policy from its settings object (the organization model keeps it
/// as data): invitationExpiryHours (every kind), memberExpiryHours, parentUserExpiryHours,
/// managedCompanyExpiryHours (one kind; wins over invitationExpiryHours), resendCooldownHours,
/// reminderBeforeHours. Unknown keys and wrong types are ignored here: the organization model
/// validates settings when they are written.
org_policy org_policy_from_settings(const boost::json::object& settings);

/// True for "member", "parentUser", "managedCompany".
bool valid_kind(std::string_view kind) noexcept;

/// The lifetime in ms of a new (or resent) invitation of `kind`: the org policy (clamped into
/// the server bounds) or the server default; a per-invitation `requested_s` may only shorten it.
/// Errors: invalid_kind, expiry_out_of_bounds (requested above the policy or below the minimum).
boost::system::result<std::int64_t, errc> lifetime_ms(const invitation_settings& s,
                                                      const org_policy& p,
                                                      std::string_view kind,
                                                      std::optional<std::int64_t> requested_s);

std::int64_t cooldown_ms(const invitation_settings& s, const org_policy& p) noexcept;
/// When the reminder is due for an invitation sent at `sent_ms` that expires at `expires_ms`: 0
/// when reminders are off or the lifetime is too short for one to make sense.
std::int64_t reminder_at_ms(const invitation_settings& s,
                            const org_policy& p,
                            std::int64_t sent_ms,
                            std::int64_t expires_ms) noexcept;

}  // namespace orgscim::plugin::invitations
