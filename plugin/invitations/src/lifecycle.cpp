#include <orgscim/plugin/invitations/lifecycle.hpp>

namespace orgscim::plugin::invitations {

std::string_view effective_status(const invitation_record& r, std::int64_t now_ms) noexcept {
    if (r.status == "pending" && now_ms >= r.expires_ms) return "expired";
    return r.status;
}

bool can_transition(std::string_view from, std::string_view to) noexcept {
    if (from != "pending") return false;
    return to == "accepted" || to == "declined" || to == "expired" || to == "revoked";
}

std::int64_t resend_allowed_at(const invitation_record& r, std::int64_t cooldown_ms) noexcept {
    return r.last_sent_ms + cooldown_ms;
}

boost::system::result<void, errc> check_resend(const invitation_record& r,
                                               std::int64_t now_ms,
                                               std::int64_t cooldown_ms) noexcept {
    // An invitation that ran out but was not swept yet may be resent: that is what an admin
    // wants when the invitee missed the window.
    if (r.status != "pending") return errc::not_pending;
    if (now_ms < resend_allowed_at(r, cooldown_ms)) return errc::resend_cooldown;
    return {};
}

boost::system::result<void, errc> finish(invitation_record& r,
                                         std::string_view to,
                                         std::int64_t now_ms,
                                         std::string_view actor,
                                         std::string_view reason) {
    if (!can_transition(r.status, to)) return errc::not_pending;
    r.status = std::string(to);
    r.finished_ms = now_ms;
    r.finished_by = std::string(actor);
    r.reason = std::string(reason);
    r.modified_ms = now_ms;
    r.reminder_at_ms = 0;
    r.history.push_back({now_ms, std::string(to), std::string(actor), std::string(reason)});
    return {};
}

boost::system::result<std::string, errc> normalize_email(std::string_view raw) {
    while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) raw.remove_prefix(1);
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r'))
        raw.remove_suffix(1);
    if (raw.empty() || raw.size() > 254) return errc::invalid_email;
    auto at = raw.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == raw.size()) return errc::invalid_email;
    if (raw.substr(at + 1).find('.') == std::string_view::npos) return errc::invalid_email;
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(raw[i]);
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"')
            return errc::invalid_email;
        if (c == '@' && i != at) return errc::invalid_email;
        // The whole address is lower-cased: mailbox providers treat local parts case-blind in
        // practice, and one person must not hold two pending invitations by case alone.
        out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : static_cast<char>(c);
    }
    return out;
}

}  // namespace orgscim::plugin::invitations
