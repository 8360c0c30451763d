#pragma once
// Email templates, text and HTML, rendered when the message is queued (inside the transaction of
// the change). Every date is UTC and says so ("2026-11-29 05:40 UTC"). Every value is escaped
// in the HTML part.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::plugin::mail {

struct rendered {
    std::string subject;
    std::string text;
    std::string html;
};

struct invitation_vars {
    std::string org_name;
    std::string inviter;
    std::string invitee_email;
    std::string kind;  ///< member | parentUser | managedCompany
    std::vector<std::string> roles;
    std::vector<std::string> groups;
    std::string link;
    std::int64_t expires_ms = 0;
};

/// The invitation, or (reminder = true) the reminder sent before it expires.
rendered render_invitation(const invitation_vars& v, bool reminder);
/// To every access manager of the org.
rendered render_access_request(std::string_view org_name,
                               std::string_view requester_email,
                               std::string_view requester_name,
                               std::string_view reason,
                               std::string_view review_link,
                               bool renotify);
rendered render_access_granted(std::string_view org_name, std::string_view role);
rendered render_access_denied(std::string_view org_name, std::string_view reason);

/// An organization's own wording for one template (its settings.emailTemplates): each part that
/// is set replaces the built-in one. {{name}} placeholders take the message's values, escaped in
/// the HTML part; an unknown placeholder stays as written.
struct template_override {
    std::string subject;
    std::string text;
    std::string html;
};
using template_vars = std::vector<std::pair<std::string, std::string>>;

rendered apply_override(rendered built_in, const template_override& o, const template_vars& vars);

/// "2026-11-29 05:40 UTC".
std::string format_utc(std::int64_t epoch_ms);
/// &, <, >, ", ' escaped.
std::string html_escape(std::string_view s);

}  // namespace orgscim::plugin::mail
