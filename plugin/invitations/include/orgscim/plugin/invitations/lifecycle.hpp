#pragma once
// The invitation state machine, as pure functions of a record and the time (no storage):
//   pending -> accepted | declined | expired | revoked      (all final; history is kept)
// An invitation past its expiry counts as expired even before the sweep writes it.

#include <boost/system/result.hpp>
#include <cstdint>
#include <orgscim/plugin/invitations/errors.hpp>
#include <orgscim/plugin/storage/invitation_store.hpp>
#include <string_view>

namespace orgscim::plugin::invitations {

/// The status as of `now_ms`: "expired" for a pending one whose expiry passed.
std::string_view effective_status(const invitation_record& r, std::int64_t now_ms) noexcept;

/// May `from` move to `to`? Only pending moves, and only to a final state.
bool can_transition(std::string_view from, std::string_view to) noexcept;

/// Resend is allowed for a pending (or expired-by-time) invitation once `cooldown_ms` passed since
/// the last send. Errors: not_pending, resend_cooldown.
boost::system::result<void, errc> check_resend(const invitation_record& r,
                                               std::int64_t now_ms,
                                               std::int64_t cooldown_ms) noexcept;

/// When the next resend becomes possible (for Retry-After).
std::int64_t resend_allowed_at(const invitation_record& r, std::int64_t cooldown_ms) noexcept;

/// Moves `r` into a final state and appends the history entry. Errors: not_pending.
boost::system::result<void, errc> finish(invitation_record& r,
                                         std::string_view to,
                                         std::int64_t now_ms,
                                         std::string_view actor,
                                         std::string_view reason);

/// Lower-cases the address and trims blanks. Errors: invalid_email (no '@', blanks inside,
/// an empty part, control characters, longer than 254).
boost::system::result<std::string, errc> normalize_email(std::string_view raw);

}  // namespace orgscim::plugin::invitations
