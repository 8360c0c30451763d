#include "json_strict.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <string>
#include <unordered_set>
#include <vector>

namespace orgscim::oidc::detail {

namespace {

constexpr std::size_t max_depth = 32;

// Only tracks member names; values are built by boost::json::parse afterwards.
struct duplicate_finder {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    struct frame {
        bool object;
        std::unordered_set<std::string> keys;
    };
    std::vector<frame> stack;
    std::string key;
    bool duplicate = false;

    using ec_t = boost::system::error_code;
    using sv = boost::json::string_view;

    bool on_document_begin(ec_t&) { return true; }
    bool on_document_end(ec_t&) { return true; }
    bool on_object_begin(ec_t&) {
        stack.push_back({true, {}});
        return true;
    }
    bool on_object_end(std::size_t, ec_t&) {
        stack.pop_back();
        return true;
    }
    bool on_array_begin(ec_t&) {
        stack.push_back({false, {}});
        return true;
    }
    bool on_array_end(std::size_t, ec_t&) {
        stack.pop_back();
        return true;
    }
    bool on_key_part(sv s, std::size_t, ec_t&) {
        key.append(s.data(), s.size());
        return true;
    }
    bool on_key(sv s, std::size_t, ec_t& ec) {
        key.append(s.data(), s.size());
        const bool inserted = stack.back().keys.insert(std::move(key)).second;
        key.clear();
        if (!inserted) {
            duplicate = true;
            ec = boost::json::error::syntax;
            return false;
        }
        return true;
    }
    bool on_string_part(sv, std::size_t, ec_t&) { return true; }
    bool on_string(sv, std::size_t, ec_t&) { return true; }
    bool on_number_part(sv, ec_t&) { return true; }
    bool on_int64(std::int64_t, sv, ec_t&) { return true; }
    bool on_uint64(std::uint64_t, sv, ec_t&) { return true; }
    bool on_double(double, sv, ec_t&) { return true; }
    bool on_bool(bool, ec_t&) { return true; }
    bool on_null(ec_t&) { return true; }
    bool on_comment_part(sv, ec_t&) { return true; }
    bool on_comment(sv, ec_t&) { return true; }
};

}  // namespace

result<boost::json::object> parse_strict_object(std::string_view text) {
    boost::json::parse_options opts;
    opts.max_depth = max_depth;
    {
        boost::json::basic_parser<duplicate_finder> p(opts);
        boost::system::error_code ec;
        const auto n = p.write_some(false, text.data(), text.size(), ec);
        if (p.handler().duplicate) return errc::duplicate_member;
        if (ec || n != text.size()) return errc::bad_json;
    }
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec, {}, opts);
    if (ec || !v.is_object()) return errc::bad_json;
    return std::move(v.as_object());
}

}  // namespace orgscim::oidc::detail
