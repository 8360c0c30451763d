#pragma once
// Link tokens (security.md §5.1 rules 1-2): 32 bytes from the OS CSPRNG, base64url without
// padding (43 characters). Only the SHA-256 is stored, so a database dump opens no invitation.

#include <string>
#include <string_view>

namespace orgscim::plugin::invitations {

struct link_token {
    std::string
        token;         ///< goes into the email (or back to an admin who asked for it), nowhere else
    std::string hash;  ///< lower-case hex SHA-256 of `token`, what the store keeps
};

/// A fresh token. Throws std::runtime_error only if the CSPRNG fails (never on input).
link_token new_link_token();

/// hex(SHA-256(token)) for lookup. Any string is accepted; junk simply finds nothing.
std::string hash_token(std::string_view token);

/// True when `token` has the shape new_link_token() produces (43 base64url characters), so junk
/// is refused before touching the database.
bool well_formed_token(std::string_view token) noexcept;

/// A random record id (32 lower-case hex characters).
std::string new_id();

}  // namespace orgscim::plugin::invitations
