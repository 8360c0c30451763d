#pragma once
// Ids the server assigns (RFC 7643 §3.1: unique, never reassigned, opaque to clients), for SCIM
// resources and for every other record the stores make.

#include <string>

namespace orgscim::scim {

/// A new UUIDv7 (RFC 9562) in lower-case hex: 48 bits of Unix milliseconds, then 74 random
/// bits. Time first, so that ids made one after another sit next to each other in every index
/// keyed by them (a write extends a few pages at the right edge instead of one random page per
/// index). Not a secret: the random bits come from a seeded PRNG and only keep ids apart; an id
/// names a record and grants nothing. Thread-safe.
std::string new_id();

}  // namespace orgscim::scim
