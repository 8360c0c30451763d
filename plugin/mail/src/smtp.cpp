#include <curl/curl.h>

#include <boost/url/parse.hpp>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <orgscim/plugin/mail/smtp.hpp>
#include <stdexcept>

namespace orgscim::plugin::mail {

namespace {

bool is_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80 || c == '\r' || c == '\n') return false;
    return true;
}

std::string base64(std::string_view in) {
    static constexpr char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    auto u = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
    for (; i + 3 <= in.size(); i += 3) {
        unsigned v = (u(i) << 16) | (u(i + 1) << 8) | u(i + 2);
        out += {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
    }
    if (in.size() - i == 1) {
        unsigned v = u(i) << 16;
        out += {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63], '=', '='};
    } else if (in.size() - i == 2) {
        unsigned v = (u(i) << 16) | (u(i + 1) << 8);
        out += {tbl[(v >> 18) & 63], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], '='};
    }
    return out;
}

// RFC 2047 encoded-word for header values that are not plain ASCII; CR/LF never reach a header.
std::string header_value(std::string_view v) {
    if (is_ascii(v)) return std::string(v);
    std::string clean;
    for (char c : v)
        if (c != '\r' && c != '\n') clean += c;
    return "=?UTF-8?B?" + base64(clean) + "?=";
}

// Normalizes line ends to CRLF (SMTP DATA; curl does the dot-stuffing).
std::string crlf(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 40);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') continue;
        if (s[i] == '\n') out += '\r';
        out += s[i];
    }
    return out;
}

bool loopback_host(std::string_view host) {
    return host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1";
}

struct payload {
    const std::string* data;
    std::size_t pos = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
    auto* p = static_cast<payload*>(user);
    std::size_t room = size * n;
    std::size_t left = p->data->size() - p->pos;
    std::size_t k = left < room ? left : room;
    std::memcpy(buf, p->data->data() + p->pos, k);
    p->pos += k;
    return k;
}

}  // namespace

std::vector<std::string> validate(const smtp_config& cfg) {
    std::vector<std::string> errs;
    auto u = boost::urls::parse_absolute_uri(cfg.url);
    if (!u) {
        errs.push_back("mail.smtp.url: expected smtp://host:port or smtps://host:port");
        return errs;
    }
    auto scheme = u->scheme();
    if (scheme != "smtp" && scheme != "smtps")
        errs.push_back("mail.smtp.url: scheme must be smtp or smtps");
    if (scheme == "smtp" && cfg.allow_plain && !loopback_host(u->host()))
        errs.push_back("mail.smtp.allow_plain: only allowed for a loopback server");
    if (cfg.from.empty() || cfg.from.find('@') == std::string::npos)
        errs.push_back("mail.smtp.from: expected an email address");
    if (!cfg.username.empty() && cfg.password_env.empty())
        errs.push_back("mail.smtp.password_env: required with username");
    return errs;
}

std::string build_message(const outbox_message& m, const smtp_config& cfg, std::int64_t now_ms) {
    std::time_t t = static_cast<std::time_t>(now_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    std::string domain = cfg.from.substr(cfg.from.find('@') + 1);
    std::string boundary = "=_orgscim_" + std::to_string(m.id) + "_alt";
    std::string msg;
    msg += "From: " + header_value(cfg.from_name) + " <" + cfg.from + ">\r\n";
    msg += "To: <" + m.to + ">\r\n";
    msg += "Subject: " + header_value(m.subject) + "\r\n";
    msg += std::string("Date: ") + date + "\r\n";
    msg += "Message-ID: <outbox-" + std::to_string(m.id) + "." + std::to_string(m.created_ms) +
           "@" + domain + ">\r\n";
    msg += "MIME-Version: 1.0\r\n";
    msg += "Auto-Submitted: auto-generated\r\n";
    msg += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    msg += "--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n";
    msg += "Content-Transfer-Encoding: 8bit\r\n\r\n" + crlf(m.text) + "\r\n";
    msg += "--" + boundary + "\r\nContent-Type: text/html; charset=utf-8\r\n";
    msg += "Content-Transfer-Encoding: 8bit\r\n\r\n" + crlf(m.html) + "\r\n";
    msg += "--" + boundary + "--\r\n";
    return msg;
}

struct curl_smtp::impl {
    smtp_config cfg;
    CURL* curl = nullptr;
    std::string password;
};

curl_smtp::curl_smtp(smtp_config cfg) : impl_(std::make_unique<impl>()) {
    if (auto errs = validate(cfg); !errs.empty()) throw std::invalid_argument(errs.front());
    impl_->cfg = std::move(cfg);
    if (!impl_->cfg.password_env.empty()) {
        const char* p = std::getenv(impl_->cfg.password_env.c_str());
        if (p) impl_->password = p;
    }
    impl_->curl = curl_easy_init();
    if (!impl_->curl) throw std::runtime_error("curl_easy_init failed");
}

curl_smtp::~curl_smtp() {
    if (impl_->curl) curl_easy_cleanup(impl_->curl);
}

boost::system::result<void, send_failure> curl_smtp::send(const outbox_message& m) {
    const auto& cfg = impl_->cfg;
    CURL* c = impl_->curl;
    // Keep the connection (curl's cache lives in the handle), reset everything else.
    curl_easy_reset(c);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    std::string data = build_message(m, cfg, now);
    payload p{&data};
    std::string from = "<" + cfg.from + ">";
    curl_slist* rcpt = curl_slist_append(nullptr, ("<" + m.to + ">").c_str());
    char errbuf[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(c, CURLOPT_URL, cfg.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (!cfg.allow_plain) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, cfg.verify_peer ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, cfg.verify_peer ? 2L : 0L);
    if (!cfg.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cfg.ca_file.c_str());
    if (!cfg.username.empty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg.username.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, impl_->password.c_str());
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &p);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg.timeout_ms));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg.timeout_ms));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpt);
    if (rc == CURLE_OK) return {};
    send_failure f;
    f.message = std::string(curl_easy_strerror(rc));
    if (errbuf[0] != '\0') f.message += ": " + std::string(errbuf);
    if (code != 0) f.message += " (SMTP " + std::to_string(code) + ")";
    // 5xx is the server's final word on this message (RFC 5321 §4.2.1); everything else may pass.
    f.permanent = code >= 500 && code < 600;
    return f;
}

}  // namespace orgscim::plugin::mail
