#include "curl_fetcher.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <orgscim/oidc/discovery.hpp>

namespace orgscim::oidc {

namespace {

struct sink {
    std::string body;
    std::size_t max = 0;
    bool too_large = false;
};

extern "C" std::size_t on_write(char* data, std::size_t size, std::size_t n, void* user) {
    auto* s = static_cast<sink*>(user);
    const std::size_t len = size * n;
    // The server may send no Content-Length, so the cap is enforced here as bytes arrive.
    if (s->body.size() + len > s->max) {
        s->too_large = true;
        return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    s->body.append(data, len);
    return len;
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct easy_deleter {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};

}  // namespace

curl_fetcher::curl_fetcher() : curl_fetcher(options{}) {}

curl_fetcher::curl_fetcher(options opts) : opts_(std::move(opts)) { global_init(); }

result<fetch_response> curl_fetcher::fetch(const fetch_request& req) {
    if (!url_scheme_allowed(req.url, req.allow_http)) return errc::insecure_url;
    std::unique_ptr<CURL, easy_deleter> h(curl_easy_init());
    if (!h) return errc::fetch_failed;
    CURL* c = h.get();
    sink s;
    s.max = req.max_bytes;
    const long total = static_cast<long>(std::max<std::int64_t>(1, req.timeout.count()));
    const long connect = std::min(total, static_cast<long>(opts_.connect_timeout.count()));
    const char* protocols = req.allow_http ? "http,https" : "https";
    bool ok = curl_easy_setopt(c, CURLOPT_URL, req.url.c_str()) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                               static_cast<curl_off_t>(req.max_bytes)) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_write) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_WRITEDATA, &s) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_USERAGENT, opts_.user_agent.c_str()) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    if (ok && !opts_.ca_file.empty())
        ok = curl_easy_setopt(c, CURLOPT_CAINFO, opts_.ca_file.c_str()) == CURLE_OK;
    if (!ok) return errc::fetch_failed;

    const CURLcode rc = curl_easy_perform(c);
    if (s.too_large || rc == CURLE_FILESIZE_EXCEEDED) return errc::fetch_too_large;
    if (rc == CURLE_UNSUPPORTED_PROTOCOL) return errc::insecure_url;
    if (rc != CURLE_OK) return errc::fetch_failed;
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return fetch_response{static_cast<int>(status), std::move(s.body)};
}

}  // namespace orgscim::oidc
