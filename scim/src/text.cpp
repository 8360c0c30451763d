#include <cstdint>
#include <orgscim/scim/text.hpp>

namespace orgscim::scim {

namespace {

/// One simple case-folding step for a code point outside ASCII.
char32_t fold_cp(char32_t c) noexcept {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
    if (c < 0x100) {
        if (c == 0xB5) return 0x3BC;
        if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
        return c;
    }
    if (c < 0x180) {
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149) return c;  // no simple fold
        if (c == 0x178) return 0xFF;
        if (c == 0x17F) return 's';
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
        return (c & 1) ? c : c + 1;  // 0100–0137, 014A–0177: even upper, odd lower
    }
    if (c >= 0x370 && c < 0x400) {
        if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;
        switch (c) {
            case 0x345:
                return 0x3B9;
            case 0x370:
            case 0x372:
            case 0x376:
                return c + 1;
            case 0x37F:
                return 0x3F3;
            case 0x386:
                return 0x3AC;
            case 0x388:
            case 0x389:
            case 0x38A:
                return c + 0x25;
            case 0x38C:
                return 0x3CC;
            case 0x38E:
            case 0x38F:
                return c + 0x3F;
            case 0x3C2:
                return 0x3C3;
            case 0x3CF:
                return 0x3D7;
            case 0x3D0:
                return 0x3B2;
            case 0x3D1:
                return 0x3B8;
            case 0x3D5:
                return 0x3C6;
            case 0x3D6:
                return 0x3C0;
            case 0x3F0:
                return 0x3BA;
            case 0x3F1:
                return 0x3C1;
            case 0x3F4:
                return 0x3B8;
            case 0x3F5:
                return 0x3B5;
            case 0x3F7:
                return 0x3F8;
            case 0x3F9:
                return 0x3F2;
            case 0x3FA:
                return 0x3FB;
            case 0x3FD:
            case 0x3FE:
            case 0x3FF:
                return c - 0x82;
            default:
                break;
        }
        if (c >= 0x3D8 && c <= 0x3EF) return (c & 1) ? c : c + 1;
        return c;
    }
    if (c >= 0x1C4 && c < 0x250) {
        // Latin Extended-B: the regular stretches only (U+0180–U+01C3 and U+0234–U+0245 are
        // irregular and kept as they are).
        switch (c) {
            case 0x1C4:
            case 0x1C5:
                return 0x1C6;
            case 0x1C7:
            case 0x1C8:
                return 0x1C9;
            case 0x1CA:
            case 0x1CB:
                return 0x1CC;
            case 0x1F1:
            case 0x1F2:
                return 0x1F3;
            case 0x1F4:
                return 0x1F5;
            default:
                break;
        }
        if (c >= 0x1CD && c <= 0x1DC) return (c & 1) ? c + 1 : c;
        if ((c >= 0x1DE && c <= 0x1EF) || (c >= 0x1F8 && c <= 0x21F) ||
            (c >= 0x222 && c <= 0x233) || (c >= 0x246 && c <= 0x24F))
            return (c & 1) ? c : c + 1;
        return c;
    }
    if (c == 0x345) return 0x3B9;
    if (c >= 0x400 && c < 0x530) {
        if (c < 0x410) return c + 0x50;
        if (c < 0x430) return c + 0x20;
        if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0))
            return (c & 1) ? c : c + 1;
        if (c == 0x4C0) return 0x4CF;
        if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) ? c + 1 : c;
        return c;
    }
    if (c >= 0x531 && c <= 0x556) return c + 0x30;
    if (c >= 0x10A0 && c <= 0x10C5) return c + 0x1C60;  // Georgian Asomtavruli -> Nuskhuri
    if (c == 0x10C7 || c == 0x10CD) return c + 0x1C60;
    if (c >= 0x1E00 && c <= 0x1EFF) {
        if (c == 0x1E9B) return 0x1E61;
        if (c == 0x1E9E) return 0xDF;
        if (c >= 0x1E96 && c <= 0x1E9F) return c;
        return (c & 1) ? c : c + 1;
    }
    if (c == 0x2126) return 0x3C9;                    // OHM SIGN
    if (c == 0x212A) return 'k';                      // KELVIN SIGN
    if (c == 0x212B) return 0xE5;                     // ANGSTROM SIGN
    if (c >= 0x2160 && c <= 0x216F) return c + 0x10;  // Roman numerals
    if (c >= 0x24B6 && c <= 0x24CF) return c + 0x1A;  // circled Latin letters
    if (c >= 0x2C00 && c <= 0x2C2F) return c + 0x30;  // Glagolitic
    if ((c >= 0xA640 && c <= 0xA66D) || (c >= 0xA680 && c <= 0xA69B))
        return (c & 1) ? c : c + 1;  // Cyrillic Extended-B
    if (c >= 0xFF21 && c <= 0xFF3A) return c + 0x20;
    if (c >= 0x10400 && c <= 0x10427) return c + 0x28;  // Deseret
    return c;
}

/// Decodes one code point at s[i]; on invalid input returns the byte itself with len 1 and
/// valid=false.
struct decoded {
    char32_t cp;
    std::size_t len;
    bool valid;
};

decoded decode(std::string_view s, std::size_t i) noexcept {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) return {b0, 1, true};
    auto cont = [&](std::size_t k) -> int {
        if (i + k >= s.size()) return -1;
        auto b = static_cast<unsigned char>(s[i + k]);
        return (b & 0xC0) == 0x80 ? (b & 0x3F) : -1;
    };
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        int c1 = cont(1);
        if (c1 >= 0) return {static_cast<char32_t>(((b0 & 0x1F) << 6) | c1), 2, true};
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        int c1 = cont(1), c2 = cont(2);
        if (c1 >= 0 && c2 >= 0) {
            char32_t cp = ((b0 & 0x0F) << 12) | (c1 << 6) | c2;
            if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) return {cp, 3, true};
        }
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        int c1 = cont(1), c2 = cont(2), c3 = cont(3);
        if (c1 >= 0 && c2 >= 0 && c3 >= 0) {
            char32_t cp = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
            if (cp >= 0x10000 && cp <= 0x10FFFF) return {cp, 4, true};
        }
    }
    return {b0, 1, false};
}

/// The next folded unit of `s` at `i`: a code point when valid, else a raw byte tagged so that
/// it never equals a valid code point.
char32_t next_folded(std::string_view s, std::size_t& i) noexcept {
    auto d = decode(s, i);
    i += d.len;
    if (!d.valid) return 0x80000000u | d.cp;
    return fold_cp(d.cp);
}

}  // namespace

void fold_case_append(std::string_view utf8, std::string& out) {
    out.reserve(out.size() + utf8.size());
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto b = static_cast<unsigned char>(utf8[i]);
        if (b < 0x80) {
            out.push_back((b >= 'A' && b <= 'Z') ? static_cast<char>(b + 0x20)
                                                 : static_cast<char>(b));
            ++i;
            continue;
        }
        auto d = decode(utf8, i);
        if (!d.valid) {
            out.push_back(utf8[i]);
        } else {
            append_utf8(fold_cp(d.cp), out);
        }
        i += d.len;
    }
}

void append_utf8(char32_t cp, std::string& out) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string fold_case(std::string_view utf8) {
    std::string out;
    fold_case_append(utf8, out);
    return out;
}

bool fold_equals(std::string_view a, std::string_view b) noexcept {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        const auto ca = static_cast<unsigned char>(a[i]);
        const auto cb = static_cast<unsigned char>(b[j]);
        if (ca < 0x80 && cb < 0x80) {
            auto la = (ca >= 'A' && ca <= 'Z') ? ca + 0x20 : ca;
            auto lb = (cb >= 'A' && cb <= 'Z') ? cb + 0x20 : cb;
            if (la != lb) return false;
            ++i;
            ++j;
            continue;
        }
        if (next_folded(a, i) != next_folded(b, j)) return false;
    }
    return i == a.size() && j == b.size();
}

bool is_valid_utf8(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size()) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        auto d = decode(text, i);
        if (!d.valid) return false;
        i += d.len;
    }
    return true;
}

}  // namespace orgscim::scim

namespace orgscim::scim {

namespace {

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's civil algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) noexcept {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

std::optional<std::int64_t> parse_date_time(std::string_view s) noexcept {
    int y, mo, d, h, mi, se;
    if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, se))
        return std::nullopt;
    static constexpr int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || se > 60)
        return std::nullopt;
    std::size_t i = 19;
    std::int64_t micros = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        std::size_t start = i;
        std::int64_t scale = 100000;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            micros += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == start) return std::nullopt;
    }
    if (i >= s.size()) return std::nullopt;
    std::int64_t offset_s = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
    } else if (s[i] == '+' || s[i] == '-') {
        int oh, om;
        if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
            !digits(s, i + 4, 2, om) || oh > 23 || om > 59)
            return std::nullopt;
        offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    const std::int64_t secs =
        days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
        mi * 60 + se - offset_s;
    return secs * 1000000 + micros;
}

}  // namespace orgscim::scim
