#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <orgscim/plugin/invitations/token.hpp>
#include <stdexcept>

namespace orgscim::plugin::invitations {

namespace {

constexpr char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(const unsigned char* p, std::size_t n) {
    std::string out;
    out.reserve((n * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
        out += b64url[(v >> 18) & 63];
        out += b64url[(v >> 12) & 63];
        out += b64url[(v >> 6) & 63];
        out += b64url[v & 63];
    }
    if (n - i == 1) {
        unsigned v = p[i] << 16;
        out += b64url[(v >> 18) & 63];
        out += b64url[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = (p[i] << 16) | (p[i + 1] << 8);
        out += b64url[(v >> 18) & 63];
        out += b64url[(v >> 12) & 63];
        out += b64url[(v >> 6) & 63];
    }
    return out;
}

}  // namespace

link_token new_link_token() {
    std::array<unsigned char, 32> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
        throw std::runtime_error("CSPRNG failure");
    link_token t;
    t.token = encode(raw.data(), raw.size());
    t.hash = hash_token(t.token);
    return t;
}

std::string hash_token(std::string_view token) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned len = 0;
    EVP_Digest(token.data(), token.size(), md.data(), &len, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

bool well_formed_token(std::string_view token) noexcept {
    if (token.size() != 43) return false;
    for (char c : token) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::string new_id() {
    std::array<unsigned char, 16> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
        throw std::runtime_error("CSPRNG failure");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

}  // namespace orgscim::plugin::invitations
