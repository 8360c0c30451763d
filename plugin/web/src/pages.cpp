#include <orgscim/plugin/mail/templates.hpp>
#include <orgscim/plugin/web/pages.hpp>

namespace orgscim::plugin::web {

namespace {

using mail::html_escape;

std::string list(const std::vector<std::string>& v) {
    if (v.empty()) return "<li>(none)</li>";
    std::string out;
    for (const auto& s : v) out += "<li>" + html_escape(s) + "</li>";
    return out;
}

std::string page(std::string_view title, std::string_view body) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width\">"
           "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
           html_escape(title) +
           "</title></head>\n<body style=\"font-family:sans-serif;max-width:40em\">\n" +
           std::string(body) + "\n</body></html>\n";
}

}  // namespace

std::string render_invitation_page(const invitation_page& p) {
    std::string what =
        p.kind == "managedCompany"
            ? "to let it manage your company"
            : (p.kind == "parentUser" ? "as a user of its parent organization" : "as a member");
    std::string body =
        "<h1>Invitation to " + html_escape(p.org_name) + "</h1>\n<p>" +
        (p.inviter.empty() ? std::string("You are invited")
                           : html_escape(p.inviter) + " invites you") +
        " to join <b>" + html_escape(p.org_name) + "</b> " + what +
        ".</p>\n<p>Invited address: " + html_escape(p.email) + "</p>\n<h2>Roles</h2><ul>" +
        list(p.roles) + "</ul>\n<h2>Groups</h2><ul>" + list(p.groups) + "</ul>\n<p>Valid until " +
        html_escape(mail::format_utc(p.expires_ms)) +
        ".</p>\n<p>Sign in as the invited person, then accept or decline. Opening "
        "this page changes nothing.</p>\n"
        "<form method=\"post\" action=\"" +
        html_escape(p.accept_url) +
        "\"><button type=\"submit\">Accept</button></form>\n"
        "<form method=\"post\" action=\"" +
        html_escape(p.decline_url) + "\"><button type=\"submit\">Decline</button></form>";
    return page("Invitation to " + p.org_name, body);
}

std::string render_invalid_link_page() {
    return page("Invitation not valid",
                "<h1>This invitation is not valid</h1>\n<p>The link is unknown, was already "
                "used, has expired or was revoked. Ask the person who invited you to send a new "
                "one.</p>");
}

}  // namespace orgscim::plugin::web
