#include <gtest/gtest.h>

#include <orgscim/plugin/invitations/lifecycle.hpp>
#include <orgscim/plugin/invitations/policy.hpp>
#include <orgscim/plugin/invitations/token.hpp>
#include <orgscim/plugin/mail/templates.hpp>
#include <set>

namespace inv = orgscim::plugin::invitations;
using orgscim::plugin::invitation_record;

namespace {

invitation_record pending(std::int64_t sent, std::int64_t expires) {
    invitation_record r;
    r.status = "pending";
    r.last_sent_ms = sent;
    r.expires_ms = expires;
    return r;
}

}  // namespace

TEST(policy, server_defaults_per_kind) {
    inv::invitation_settings s;
    inv::org_policy p;
    EXPECT_EQ(*inv::lifetime_ms(s, p, "member", std::nullopt), 7 * inv::day_ms);
    EXPECT_EQ(*inv::lifetime_ms(s, p, "parentUser", std::nullopt), 72 * inv::hour_ms);
    EXPECT_EQ(*inv::lifetime_ms(s, p, "managedCompany", std::nullopt), 15 * inv::day_ms);
    EXPECT_EQ(inv::lifetime_ms(s, p, "friend", std::nullopt).error(), inv::errc::invalid_kind);
}

TEST(policy, org_policy_overrides_and_is_clamped_into_server_bounds) {
    inv::invitation_settings s;
    inv::org_policy p;
    p.member_expiry_s = 2 * 24 * 3600;
    EXPECT_EQ(*inv::lifetime_ms(s, p, "member", std::nullopt), 2 * inv::day_ms);
    p.member_expiry_s = 90 * 24 * 3600;  // above the server maximum of 30 days
    EXPECT_EQ(*inv::lifetime_ms(s, p, "member", std::nullopt), 30 * inv::day_ms);
    p.member_expiry_s = 60;  // below the minimum of one hour
    EXPECT_EQ(*inv::lifetime_ms(s, p, "member", std::nullopt), inv::hour_ms);
}

TEST(policy, per_invitation_expiry_may_only_shorten) {
    inv::invitation_settings s;
    inv::org_policy p;
    EXPECT_EQ(*inv::lifetime_ms(s, p, "member", 24 * 3600), inv::day_ms);
    EXPECT_EQ(inv::lifetime_ms(s, p, "member", 8 * 24 * 3600).error(),
              inv::errc::expiry_out_of_bounds);
    EXPECT_EQ(inv::lifetime_ms(s, p, "member", 10).error(), inv::errc::expiry_out_of_bounds);
}

TEST(policy, cooldown_and_reminder) {
    inv::invitation_settings s;
    inv::org_policy p;
    EXPECT_EQ(inv::cooldown_ms(s, p), 6 * inv::hour_ms);
    p.resend_cooldown_s = 60;
    EXPECT_EQ(inv::cooldown_ms(s, p), 60'000);
    // 7 days: reminder 48 h before expiry.
    EXPECT_EQ(inv::reminder_at_ms(s, p, 0, 7 * inv::day_ms), 5 * inv::day_ms);
    // 72 h: 48 h before would leave only 24 h after sending; no reminder.
    EXPECT_EQ(inv::reminder_at_ms(s, p, 0, 72 * inv::hour_ms), 0);
    p.reminder_before_s = 0;
    EXPECT_EQ(inv::reminder_at_ms(s, p, 0, 7 * inv::day_ms), 0);
}

TEST(lifecycle, only_pending_moves_and_only_to_final_states) {
    for (auto to : {"accepted", "declined", "expired", "revoked"})
        EXPECT_TRUE(inv::can_transition("pending", to)) << to;
    EXPECT_FALSE(inv::can_transition("pending", "pending"));
    for (auto from : {"accepted", "declined", "expired", "revoked"})
        for (auto to : {"pending", "accepted", "declined", "expired", "revoked"})
            EXPECT_FALSE(inv::can_transition(from, to)) << from << "->" << to;
}

TEST(lifecycle, expiry_is_seen_before_the_sweep) {
    auto r = pending(0, 1000);
    EXPECT_EQ(inv::effective_status(r, 999), "pending");
    EXPECT_EQ(inv::effective_status(r, 1000), "expired");
    r.status = "accepted";
    EXPECT_EQ(inv::effective_status(r, 5000), "accepted");
}

TEST(lifecycle, finish_keeps_history_and_refuses_twice) {
    auto r = pending(0, 1000);
    ASSERT_TRUE(inv::finish(r, "declined", 10, "iss|sub", "not interested"));
    EXPECT_EQ(r.status, "declined");
    EXPECT_EQ(r.finished_ms, 10);
    EXPECT_EQ(r.finished_by, "iss|sub");
    ASSERT_EQ(r.history.size(), 1u);
    EXPECT_EQ(r.history[0].action, "declined");
    EXPECT_EQ(inv::finish(r, "accepted", 11, "x", "").error(), inv::errc::not_pending);
    EXPECT_EQ(r.status, "declined");
}

TEST(lifecycle, resend_cooldown) {
    auto r = pending(1000, 10'000'000);
    const std::int64_t cooldown = 6 * inv::hour_ms;
    EXPECT_EQ(inv::check_resend(r, 1000 + cooldown - 1, cooldown).error(),
              inv::errc::resend_cooldown);
    EXPECT_TRUE(inv::check_resend(r, 1000 + cooldown, cooldown));
    EXPECT_EQ(inv::resend_allowed_at(r, cooldown), 1000 + cooldown);
    r.status = "revoked";
    EXPECT_EQ(inv::check_resend(r, 1000 + cooldown, cooldown).error(), inv::errc::not_pending);
}

TEST(lifecycle, email_normalization) {
    EXPECT_EQ(*inv::normalize_email("  Alice@Acme.COM "), "alice@acme.com");
    for (auto bad : {"", "alice", "@acme.com", "alice@", "a b@acme.com", "a@b@acme.com",
                     "alice@localhost", "<alice@acme.com>", "a@acme.com,b@acme.com"})
        EXPECT_EQ(inv::normalize_email(bad).error(), inv::errc::invalid_email) << bad;
}

TEST(token, random_256_bits_base64url_and_only_the_hash_is_kept) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        auto t = inv::new_link_token();
        EXPECT_EQ(t.token.size(), 43u);
        EXPECT_TRUE(inv::well_formed_token(t.token));
        EXPECT_EQ(t.hash.size(), 64u);
        EXPECT_EQ(t.hash, inv::hash_token(t.token));  // the round trip OneUptime got wrong
        EXPECT_EQ(t.hash.find(t.token), std::string::npos);
        EXPECT_TRUE(seen.insert(t.token).second);
    }
    // SHA-256("abc")
    EXPECT_EQ(inv::hash_token("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_FALSE(inv::well_formed_token("short"));
    EXPECT_FALSE(inv::well_formed_token(std::string(43, '=')));
}

TEST(errors, every_code_has_a_name_and_a_status) {
    std::set<std::string_view> names;
    for (int i = 1; i <= static_cast<int>(inv::errc::storage); ++i) {
        auto e = static_cast<inv::errc>(i);
        auto name = inv::to_string(e);
        EXPECT_NE(name, "unknown");
        EXPECT_TRUE(names.insert(name).second) << name;
        auto se = inv::to_scim_error(e);
        EXPECT_GE(se.status, 400);
        EXPECT_FALSE(se.detail.empty());
    }
    EXPECT_EQ(inv::to_scim_error(inv::errc::invalid_link, "expired").detail,
              "invitation not valid");
}

TEST(templates, dates_are_utc_and_named_and_html_is_escaped) {
    EXPECT_EQ(orgscim::plugin::mail::format_utc(1795000000000), "2026-11-18 11:06 UTC");
    orgscim::plugin::mail::invitation_vars v;
    v.org_name = "Acme <b>";
    v.link = "https://id.example.com/invitations/tok";
    v.expires_ms = 1795000000000;
    v.roles = {"Administrator"};
    auto r = orgscim::plugin::mail::render_invitation(v, false);
    EXPECT_NE(r.text.find("2026-11-18 11:06 UTC"), std::string::npos);
    EXPECT_NE(r.text.find(v.link), std::string::npos);
    EXPECT_NE(r.html.find("Acme &lt;b&gt;"), std::string::npos);
    EXPECT_EQ(r.html.find("Acme <b>"), std::string::npos);
    auto rem = orgscim::plugin::mail::render_invitation(v = {}, true);
    EXPECT_EQ(rem.subject.rfind("Reminder", 0), 0u);
}
