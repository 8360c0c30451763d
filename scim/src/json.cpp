// Strict JSON: Boost.JSON's basic_parser drives a value_stack (as boost::json::parser does), and
// the handler also keeps the member names of every open object in one flat buffer, so duplicate
// names are found at the object's end without a second pass or a per-key allocation.
#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <orgscim/scim/json.hpp>
#include <vector>

namespace orgscim::scim {

namespace {

namespace json = boost::json;
using boost::system::error_code;

struct strict_handler {
    constexpr static std::size_t max_object_size = std::size_t(-1);
    constexpr static std::size_t max_array_size = std::size_t(-1);
    constexpr static std::size_t max_key_size = std::size_t(-1);
    constexpr static std::size_t max_string_size = std::size_t(-1);

    json::value_stack st;

    /// `temp` is scratch space for the value stack, so small documents need no heap for it.
    strict_handler(unsigned char* temp, std::size_t size) : st(json::storage_ptr(), temp, size) {}
    // Names of the members of all open objects, innermost last.
    std::string key_chars;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> keys;  // offset, length
    std::uint32_t key_begin = 0;  // offset of the key being assembled from parts
    bool duplicate = false;
    std::string duplicate_name;

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code&) { return true; }
    bool on_object_end(std::size_t n, error_code& ec) {
        if (n > 1 && has_duplicate(n)) {
            duplicate = true;
            ec = json::error::syntax;
            return false;
        }
        if (n > 0) {
            key_chars.resize(keys[keys.size() - n].first);
            keys.resize(keys.size() - n);
        }
        st.push_object(n);
        return true;
    }
    bool on_array_begin(error_code&) { return true; }
    bool on_array_end(std::size_t n, error_code&) {
        st.push_array(n);
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t n, error_code&) {
        if (n == s.size()) key_begin = static_cast<std::uint32_t>(key_chars.size());
        key_chars.append(s.data(), s.size());
        st.push_chars(s);
        return true;
    }
    bool on_key(json::string_view s, std::size_t n, error_code&) {
        if (n == s.size()) key_begin = static_cast<std::uint32_t>(key_chars.size());
        key_chars.append(s.data(), s.size());
        keys.emplace_back(key_begin, static_cast<std::uint32_t>(key_chars.size() - key_begin));
        st.push_key(s);
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t, error_code&) {
        st.push_string(s);
        return true;
    }
    bool on_number_part(json::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, error_code&) {
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, json::string_view, error_code&) {
        st.push_double(d);
        return true;
    }
    bool on_bool(bool b, error_code&) {
        st.push_bool(b);
        return true;
    }
    bool on_null(error_code&) {
        st.push_null();
        return true;
    }
    bool on_comment_part(json::string_view, error_code&) { return true; }
    bool on_comment(json::string_view, error_code&) { return true; }

    std::string_view key_at(std::size_t i) const {
        return std::string_view(key_chars).substr(keys[i].first, keys[i].second);
    }

    bool has_duplicate(std::size_t n) {
        const std::size_t first = keys.size() - n;
        if (n <= 16) {
            for (std::size_t i = first; i < keys.size(); ++i)
                for (std::size_t j = i + 1; j < keys.size(); ++j)
                    if (key_at(i) == key_at(j)) {
                        duplicate_name = key_at(i);
                        return true;
                    }
            return false;
        }
        std::vector<std::string_view> names;
        names.reserve(n);
        for (std::size_t i = first; i < keys.size(); ++i) names.push_back(key_at(i));
        std::sort(names.begin(), names.end());
        auto it = std::adjacent_find(names.begin(), names.end());
        if (it == names.end()) return false;
        duplicate_name = *it;
        return true;
    }
};

bool only_whitespace(std::string_view s) noexcept {
    return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string clip(std::string_view s) {
    constexpr std::size_t max = 64;
    if (s.size() <= max) return std::string(s);
    return std::string(s.substr(0, max)) + "...";
}

}  // namespace

result<json::value> parse_json(std::string_view text, std::size_t max_depth) {
    if (only_whitespace(text))
        return error::bad_request(scim_type::invalid_syntax, "the request body is empty");
    json::parse_options opt;
    opt.max_depth = max_depth;
    unsigned char temp[4096];
    json::basic_parser<strict_handler> p(opt, temp, sizeof temp);
    error_code ec;
    const std::size_t used = p.write_some(false, text.data(), text.size(), ec);
    if (!ec && used < text.size()) ec = json::error::extra_data;
    if (ec) {
        auto& h = p.handler();
        if (h.duplicate)
            return error::bad_request(
                scim_type::invalid_syntax,
                "malformed JSON: duplicate member name \"" + clip(h.duplicate_name) + "\"");
        std::string where = " at byte " + std::to_string(used);
        if (ec == json::error::too_deep)
            return error::bad_request(scim_type::invalid_syntax,
                                      "malformed JSON: nesting deeper than " +
                                          std::to_string(max_depth) + " levels" + where);
        if (ec == json::error::extra_data)
            return error::bad_request(scim_type::invalid_syntax,
                                      "malformed JSON: unexpected data after the value" + where);
        if (ec == json::error::incomplete)
            return error::bad_request(scim_type::invalid_syntax,
                                      "malformed JSON: the body ends before the value is complete");
        if (ec == json::error::syntax && used < text.size() &&
            static_cast<unsigned char>(text[used]) >= 0x80)
            return error::bad_request(scim_type::invalid_syntax,
                                      "malformed JSON: invalid UTF-8" + where);
        return error::bad_request(scim_type::invalid_syntax,
                                  "malformed JSON: " + ec.message() + where);
    }
    return p.handler().st.release();
}

}  // namespace orgscim::scim
