#pragma once
// Everything issue 6 adds to a running server, built in one place so the app wires it with a few
// lines: the invitation store (same database as the backend), the rules, the HTTP handlers, and
// the background outbox sender + expiry/reminder sweep.
//
// Config (one object, e.g. the "invitations" key of the server config; units in key names):
//   member_expiry_s, parent_user_expiry_s, managed_company_expiry_s, min_expiry_s, max_expiry_s,
//   resend_cooldown_s, reminder_before_s, renotify_interval_s, max_invitees_per_request,
//   sweep_interval_ms,
//   smtp   {url, from, from_name, username, password_env, allow_plain, verify_peer, ca_file,
//           timeout_ms}            (absent: no email is sent, messages stay queued)
//   sender {lease_ms, batch, poll_ms, max_attempts, backoff_base_ms, backoff_max_ms}

#include <atomic>
#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <orgscim/plugin/config.hpp>
#include <orgscim/plugin/invitations/directory.hpp>
#include <orgscim/plugin/invitations/handlers.hpp>
#include <orgscim/plugin/invitations/service.hpp>
#include <orgscim/plugin/mail/sender.hpp>
#include <orgscim/plugin/mail/smtp.hpp>
#include <orgscim/plugin/storage/invitation_backend.hpp>
#include <string>
#include <thread>
#include <vector>

namespace orgscim::plugin::invitations {

struct module_config {
    invitation_settings settings;
    std::optional<mail::smtp_config> smtp;
    mail::sender_config sender;
    std::int64_t sweep_interval_ms = 60000;
};

/// Converts and validates; every problem is appended to `errors` with its path
/// ("invitations.smtp.url: ...", "invitations.foo: unknown key"); unknown keys are errors, and
/// min_expiry_s <= every default <= max_expiry_s.
module_config parse_module_config(const boost::json::value& v,
                                  std::vector<std::string>& errors,
                                  std::string_view path = "invitations");

class module {
  public:
    /// Opens the invitation store on cfg.storage (open_backend() must have migrated it first);
    /// registers the Invitation and AccessRequest types into `reg`. `directory` must outlive the
    /// module. Throws startup_error (database) or std::invalid_argument (bad smtp config).
    module(const config& cfg,
           module_config mc,
           org_directory& directory,
           scim::schema_registry& reg,
           clock_ms clock = {});
    ~module();
    module(const module&) = delete;
    module& operator=(const module&) = delete;

    invitations::handlers& http() noexcept { return *handlers_; }
    invitations::service& rules() noexcept { return *service_; }
    outbox_store& outbox() noexcept { return *store_; }

    /// Starts the background thread: the sweep every sweep_interval_ms and, when smtp is
    /// configured, the outbox sender. Idempotent.
    void start();
    void stop();

  private:
    module_config mc_;
    std::unique_ptr<invitation_backend> store_;
    std::unique_ptr<invitations::service> service_;
    std::unique_ptr<invitations::handlers> handlers_;
    std::unique_ptr<mail::curl_smtp> smtp_;
    std::unique_ptr<mail::outbox_sender> sender_;
    std::atomic<bool> stop_{false};
    std::thread sweeper_;
};

}  // namespace orgscim::plugin::invitations
