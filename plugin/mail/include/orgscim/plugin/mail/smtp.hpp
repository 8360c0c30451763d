#pragma once
// Sending one message over SMTP. The transport is a port so the outbox sender can be tested with
// a transport that fails on purpose; curl_smtp is the real one (libcurl, STARTTLS or implicit
// TLS, optional AUTH). No curl type crosses this header.

#include <boost/system/result.hpp>
#include <memory>
#include <orgscim/plugin/storage/outbox.hpp>
#include <string>
#include <vector>

namespace orgscim::plugin::mail {

struct smtp_config {
    /// "smtp://host:587" (STARTTLS required unless allow_plain) or "smtps://host:465".
    std::string url;
    std::string from;  ///< envelope sender and From: address
    std::string from_name = "orgscim";
    std::string username;      ///< empty: no AUTH
    std::string password_env;  ///< name of the environment variable holding the password
    /// Plain SMTP without TLS. Only for loopback test servers; refused for other hosts.
    bool allow_plain = false;
    bool verify_peer = true;
    std::string ca_file;  ///< extra CA bundle (empty: the system's)
    unsigned timeout_ms = 15000;
};

/// Problems with the config, each naming its key ("mail.smtp.url: ..."); empty when valid.
std::vector<std::string> validate(const smtp_config& cfg);

/// Transient failures (connection refused, 4xx) are retried by the sender, permanent ones (5xx on
/// the recipient) give up at once.
struct send_failure {
    std::string message;  ///< for the log and the invitation's delivery_error; no secrets
    bool permanent = false;
};

class transport {
  public:
    virtual ~transport() = default;
    virtual boost::system::result<void, send_failure> send(const outbox_message& m) = 0;
};

/// The RFC 5322 message: From, To, Subject (RFC 2047 when not ASCII), Date (UTC), a Message-ID
/// stable per outbox row (so a receiver can drop the rare duplicate after a crash between send and
/// mark), multipart/alternative text + HTML, CRLF line endings.
std::string build_message(const outbox_message& m, const smtp_config& cfg, std::int64_t now_ms);

/// One libcurl easy handle, reused so consecutive messages share the connection. Not
/// thread-safe: one per sender thread. Throws std::invalid_argument when validate() fails.
class curl_smtp final : public transport {
  public:
    explicit curl_smtp(smtp_config cfg);
    ~curl_smtp() override;
    curl_smtp(const curl_smtp&) = delete;
    curl_smtp& operator=(const curl_smtp&) = delete;

    boost::system::result<void, send_failure> send(const outbox_message& m) override;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace orgscim::plugin::mail
