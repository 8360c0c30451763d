#pragma once
// Text helpers shared by the engine and the storage backends. fold_case() is THE case folding of
// orgscim: filters on caseExact=false attributes and the backends' folded index columns must use
// it so that an index lookup and an in-memory match agree.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orgscim::scim {

/// Unicode simple case folding (CaseFolding.txt status C and S; no F expansions, no T) for:
/// - ASCII; Latin-1 Supplement (U+00C0–U+00DE; U+00B5 -> U+03BC);
/// - Latin Extended-A (U+0100–U+017F; U+0178 -> U+00FF, U+017F -> 's');
/// - Latin Extended-B U+01C4–U+024F except U+01F6, U+01F7, U+0220, U+0234–U+0245 (Romanian Ș/Ț
///   and the DŽ digraphs fold; U+0180–U+01C3 are kept);
/// - Latin Extended Additional (U+1E00–U+1EFF; U+1E9E -> U+00DF);
/// - Greek U+0370–U+03FF incl. final sigma and the symbol variants (not Greek Extended);
/// - Cyrillic, Cyrillic Supplement (U+0400–U+052F), Cyrillic Extended-B (U+A640–U+A69B);
/// - Armenian (U+0531–U+0556); Georgian (U+10A0–U+10CD); Glagolitic; Deseret;
/// - Roman numerals, circled Latin letters, fullwidth Latin; Kelvin, Ohm and Angstrom signs.
/// Other code points are kept. Invalid UTF-8 bytes are copied through unchanged (callers
/// validate first; this only promises not to crash). Changing this changes the storage
/// backends' folded index columns: a migration must rebuild them.
std::string fold_case(std::string_view utf8);

/// Appends fold_case(utf8) to `out`, so hot paths can reuse a buffer.
void fold_case_append(std::string_view utf8, std::string& out);

/// fold_case(a) == fold_case(b) without allocating.
bool fold_equals(std::string_view a, std::string_view b) noexcept;

/// Appends code point `cp` (at most U+10FFFF, not a surrogate) to `out` as UTF-8.
void append_utf8(char32_t cp, std::string& out);

/// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

/// An RFC 3339 date-time ("2024-05-01T10:20:30.123Z", "...+02:00") as microseconds since the
/// Unix epoch (digits beyond microseconds are truncated); nullopt when malformed or out of range.
std::optional<std::int64_t> parse_date_time(std::string_view text) noexcept;

}  // namespace orgscim::scim
