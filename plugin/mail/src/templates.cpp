#include <ctime>
#include <orgscim/plugin/mail/templates.hpp>

namespace orgscim::plugin::mail {

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += ", ";
        out += s;
    }
    return out.empty() ? "(none)" : out;
}

std::string_view kind_phrase(std::string_view kind) {
    if (kind == "parentUser") return "as a user of its parent organization";
    if (kind == "managedCompany") return "to let it manage your company";
    return "as a member";
}

std::string html_page(std::string_view body) {
    return "<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n" + std::string(body) +
           "\n</body></html>\n";
}

}  // namespace

std::string format_utc(std::int64_t epoch_ms) {
    std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

rendered render_invitation(const invitation_vars& v, bool reminder) {
    rendered r;
    std::string until = format_utc(v.expires_ms);
    r.subject = (reminder ? "Reminder: invitation to " : "Invitation to ") + v.org_name;
    std::string lead = reminder ? "This is a reminder: " : "";
    lead += v.inviter.empty() ? std::string("You are") : v.inviter + " invited you";
    if (v.inviter.empty()) lead += " invited";
    // A reminder carries no link: only the token's hash is stored, and minting a new token would
    // kill the link the invitee already has.
    std::string how = v.link.empty()
                          ? "Open the link in the invitation email you received earlier, or ask "
                            "for it to be sent again.\n\n"
                          : "Review the invitation, then accept or decline it:\n" + v.link + "\n\n";
    r.text = lead + " to join " + v.org_name + " " + std::string(kind_phrase(v.kind)) + ".\n\n" +
             "Roles: " + join(v.roles) + "\nGroups: " + join(v.groups) + "\n\n" + how +
             "The invitation is valid until " + until + ".\n" +
             "If you did not expect this email, ignore it.\n";
    r.html = html_page(
        "<p>" + html_escape(lead) + " to join <b>" + html_escape(v.org_name) + "</b> " +
        std::string(kind_phrase(v.kind)) + ".</p>\n<p>Roles: " + html_escape(join(v.roles)) +
        "<br>Groups: " + html_escape(join(v.groups)) + "</p>\n<p>" +
        (v.link.empty() ? std::string("Open the link in the invitation email you "
                                      "received earlier.")
                        : "<a href=\"" + html_escape(v.link) + "\">Review the invitation</a>") +
        "</p>\n<p>Valid until " + html_escape(until) + ".</p>");
    return r;
}

rendered render_access_request(std::string_view org_name,
                               std::string_view requester_email,
                               std::string_view requester_name,
                               std::string_view reason,
                               std::string_view review_link,
                               bool renotify) {
    rendered r;
    std::string who = requester_name.empty()
                          ? std::string(requester_email)
                          : std::string(requester_name) + " <" + std::string(requester_email) + ">";
    r.subject = std::string(renotify ? "Reminder: access request " : "Access request ") +
                std::string(org_name);
    std::string why = reason.empty() ? "(no reason given)" : std::string(reason);
    r.text = who + " asks for access to " + std::string(org_name) + ".\n\nReason: " + why +
             "\n\nApprove with a role or deny it here:\n" + std::string(review_link) + "\n";
    r.html =
        html_page("<p>" + html_escape(who) + " asks for access to <b>" + html_escape(org_name) +
                  "</b>.</p>\n<p>Reason: " + html_escape(why) + "</p>\n<p><a href=\"" +
                  html_escape(review_link) + "\">Review the request</a></p>");
    return r;
}

rendered render_access_granted(std::string_view org_name, std::string_view role) {
    rendered r;
    r.subject = "Access granted: " + std::string(org_name);
    r.text = "Your request for access to " + std::string(org_name) +
             " was approved with the role " + std::string(role) + ".\n";
    r.html = html_page("<p>Your request for access to <b>" + html_escape(org_name) +
                       "</b> was approved with the role " + html_escape(role) + ".</p>");
    return r;
}

rendered render_access_denied(std::string_view org_name, std::string_view reason) {
    rendered r;
    r.subject = "Access denied: " + std::string(org_name);
    std::string why = reason.empty() ? "" : "\nReason: " + std::string(reason);
    r.text = "Your request for access to " + std::string(org_name) + " was denied." + why + "\n";
    r.html = html_page("<p>Your request for access to <b>" + html_escape(org_name) +
                       "</b> was denied.</p>" +
                       (reason.empty() ? "" : "<p>Reason: " + html_escape(reason) + "</p>"));
    return r;
}

namespace {

std::string fill(std::string_view tpl, const template_vars& vars, bool html) {
    std::string out;
    out.reserve(tpl.size());
    std::size_t i = 0;
    while (i < tpl.size()) {
        const auto open = tpl.find("{{", i);
        if (open == std::string_view::npos) break;
        const auto close = tpl.find("}}", open + 2);
        if (close == std::string_view::npos) break;
        out.append(tpl.substr(i, open - i));
        const auto name = tpl.substr(open + 2, close - open - 2);
        const std::string* value = nullptr;
        for (const auto& [k, v] : vars) {
            if (k == name) value = &v;
        }
        if (value) {
            out += html ? html_escape(*value) : *value;
        } else {
            out.append(tpl.substr(open, close + 2 - open));
        }
        i = close + 2;
    }
    out.append(tpl.substr(i));
    return out;
}

}  // namespace

rendered apply_override(rendered built_in, const template_override& o, const template_vars& vars) {
    // A subject is one line whatever the organization typed (no header injection).
    if (!o.subject.empty()) {
        built_in.subject = fill(o.subject, vars, false);
        for (auto& c : built_in.subject) {
            if (c == '\r' || c == '\n') c = ' ';
        }
    }
    if (!o.text.empty()) built_in.text = fill(o.text, vars, false);
    if (!o.html.empty()) built_in.html = fill(o.html, vars, true);
    return built_in;
}

}  // namespace orgscim::plugin::mail
