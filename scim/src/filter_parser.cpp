// Recursive descent over RFC 7644 §3.4.2.2 with precedence not > and > or. The parser is
// schema-free; bind() (filter_bind.cpp) gives the paths meaning.
#include <charconv>
#include <cmath>
#include <optional>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/text.hpp>

namespace orgscim::scim {

namespace {

struct parser {
    std::string_view src;
    const filter_limits& lim;
    std::size_t pos = 0;
    std::size_t depth = 0;
    std::size_t terms = 0;
    bool in_value_filter = false;
    std::optional<error> err;

    filter_ptr fail(std::string what) {
        if (!err)
            err = error::bad_request(
                scim_type::invalid_filter,
                "invalid filter: " + what + " at position " + std::to_string(pos + 1));
        return nullptr;
    }

    bool at_end() const noexcept { return pos >= src.size(); }
    char peek() const noexcept { return at_end() ? '\0' : src[pos]; }
    static bool is_space(char c) noexcept {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
    bool skip_ws() noexcept {
        std::size_t start = pos;
        while (!at_end() && is_space(src[pos])) ++pos;
        return pos != start;
    }

    /// A bare word: attribute path, operator or keyword. Stops at whitespace, brackets, parens
    /// and quotes.
    std::string_view word() noexcept {
        std::size_t start = pos;
        while (!at_end()) {
            char c = src[pos];
            if (is_space(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == '"') break;
            ++pos;
        }
        return src.substr(start, pos - start);
    }

    /// Looks at the next word without consuming it.
    std::string_view peek_word() noexcept {
        std::size_t save = pos;
        skip_ws();
        auto w = word();
        pos = save;
        return w;
    }

    filter_ptr parse_or() {
        auto lhs = parse_and();
        if (!lhs) return nullptr;
        while (iequals(peek_word(), "or")) {
            if (!skip_ws()) return fail("expected a space before \"or\"");
            word();
            if (!skip_ws()) return fail("expected a space after \"or\"");
            auto rhs = parse_and();
            if (!rhs) return nullptr;
            auto n = std::make_unique<filter_node>();
            n->v = logical{logical::or_, std::move(lhs), std::move(rhs)};
            lhs = std::move(n);
        }
        return lhs;
    }

    filter_ptr parse_and() {
        auto lhs = parse_unary();
        if (!lhs) return nullptr;
        while (iequals(peek_word(), "and")) {
            if (!skip_ws()) return fail("expected a space before \"and\"");
            word();
            if (!skip_ws()) return fail("expected a space after \"and\"");
            auto rhs = parse_unary();
            if (!rhs) return nullptr;
            auto n = std::make_unique<filter_node>();
            n->v = logical{logical::and_, std::move(lhs), std::move(rhs)};
            lhs = std::move(n);
        }
        return lhs;
    }

    struct depth_guard {
        parser& p;
        explicit depth_guard(parser& pp) : p(pp) { ++p.depth; }
        ~depth_guard() { --p.depth; }
    };

    filter_ptr parse_group() {
        // at '('
        ++pos;
        depth_guard g(*this);
        if (depth > lim.max_depth)
            return fail("nesting deeper than " + std::to_string(lim.max_depth) + " levels");
        skip_ws();
        auto inner = parse_or();
        if (!inner) return nullptr;
        skip_ws();
        if (peek() != ')') return fail("expected \")\"");
        ++pos;
        return inner;
    }

    filter_ptr parse_unary() {
        skip_ws();
        if (at_end()) return fail("expected an expression");
        if (peek() == '(') return parse_group();
        std::size_t start = pos;
        auto w = word();
        if (w.empty()) return fail("unexpected \"" + std::string(1, peek()) + "\"");
        if (iequals(w, "not")) {
            skip_ws();
            if (peek() != '(') return fail("expected \"(\" after \"not\"");
            auto inner = parse_group();
            if (!inner) return nullptr;
            auto n = std::make_unique<filter_node>();
            n->v = negation{std::move(inner)};
            return n;
        }
        pos = start;
        return parse_attr_expression();
    }

    filter_ptr parse_attr_expression() {
        std::size_t start = pos;
        auto text = word();
        auto path = parse_attr_path(text);
        if (!path) {
            pos = start;
            return fail("invalid attribute path \"" + std::string(text.substr(0, 80)) + "\"");
        }
        if (peek() == '[') {
            if (in_value_filter) return fail("value filters cannot be nested");
            if (!path->sub.empty()) return fail("a value filter must follow an attribute name");
            ++pos;
            depth_guard g(*this);
            if (depth > lim.max_depth)
                return fail("nesting deeper than " + std::to_string(lim.max_depth) + " levels");
            in_value_filter = true;
            skip_ws();
            auto inner = parse_or();
            in_value_filter = false;
            if (!inner) return nullptr;
            skip_ws();
            if (peek() != ']') return fail("expected \"]\"");
            ++pos;
            if (peek() == '.') {
                // emails[type eq "work"].value eq "x" == emails[type eq "work" and value eq "x"]
                ++pos;
                std::size_t sub_start = pos;
                auto sub_text = word();
                auto sub = parse_attr_path(sub_text);
                if (!sub || !sub->urn.empty() || !sub->sub.empty()) {
                    pos = sub_start;
                    return fail("invalid sub-attribute after \"]\"");
                }
                auto cmp = parse_operator_and_value(std::move(*sub));
                if (!cmp) return nullptr;
                auto both = std::make_unique<filter_node>();
                both->v = logical{logical::and_, std::move(inner), std::move(cmp)};
                inner = std::move(both);
            }
            auto n = std::make_unique<filter_node>();
            n->v = value_path{std::move(*path), std::move(inner)};
            return n;
        }
        return parse_operator_and_value(std::move(*path));
    }

    filter_ptr parse_operator_and_value(attr_path path) {
        if (++terms > lim.max_terms)
            return fail("more than " + std::to_string(lim.max_terms) + " comparisons");
        if (!skip_ws()) return fail("expected a space and an operator after the attribute");
        std::size_t op_pos = pos;
        auto op_text = word();
        compare_op op;
        if (!to_op(op_text, op)) {
            pos = op_pos;
            return fail(op_text.empty()
                            ? std::string("expected an operator")
                            : "unknown operator \"" + std::string(op_text.substr(0, 20)) + "\"");
        }
        comparison c;
        c.path = std::move(path);
        c.op = op;
        if (op != compare_op::pr) {
            if (!skip_ws()) return fail("expected a space and a value after the operator");
            if (!parse_value(c.value)) return nullptr;
        }
        auto n = std::make_unique<filter_node>();
        n->v = std::move(c);
        return n;
    }

    static bool to_op(std::string_view w, compare_op& op) noexcept {
        static constexpr std::pair<std::string_view, compare_op> table[] = {
            {"eq", compare_op::eq}, {"ne", compare_op::ne}, {"co", compare_op::co},
            {"sw", compare_op::sw}, {"ew", compare_op::ew}, {"gt", compare_op::gt},
            {"ge", compare_op::ge}, {"lt", compare_op::lt}, {"le", compare_op::le},
            {"pr", compare_op::pr}};
        for (auto& [name, o] : table)
            if (iequals(w, name)) {
                op = o;
                return true;
            }
        return false;
    }

    bool parse_value(boost::json::value& out) {
        if (peek() == '"') return parse_string(out);
        std::size_t start = pos;
        auto w = word();
        if (iequals(w, "true")) {
            out = true;
        } else if (iequals(w, "false")) {
            out = false;
        } else if (iequals(w, "null")) {
            out = nullptr;
        } else if (!parse_number(w, out)) {
            pos = start;
            fail(w.empty() ? std::string("expected a value")
                           : "invalid value \"" + std::string(w.substr(0, 40)) + "\"");
            return false;
        }
        return true;
    }

    /// JSON number grammar (RFC 8259 §6): integers become int64 when they fit, else double.
    static bool parse_number(std::string_view w, boost::json::value& out) {
        std::size_t i = 0;
        auto digit = [&](std::size_t k) { return k < w.size() && w[k] >= '0' && w[k] <= '9'; };
        if (i < w.size() && w[i] == '-') ++i;
        if (!digit(i)) return false;
        if (w[i] == '0') {
            ++i;
        } else {
            while (digit(i)) ++i;
        }
        bool integral = true;
        if (i < w.size() && w[i] == '.') {
            integral = false;
            ++i;
            if (!digit(i)) return false;
            while (digit(i)) ++i;
        }
        if (i < w.size() && (w[i] == 'e' || w[i] == 'E')) {
            integral = false;
            ++i;
            if (i < w.size() && (w[i] == '+' || w[i] == '-')) ++i;
            if (!digit(i)) return false;
            while (digit(i)) ++i;
        }
        if (i != w.size()) return false;
        if (integral) {
            std::int64_t v = 0;
            auto r = std::from_chars(w.data(), w.data() + w.size(), v);
            if (r.ec == std::errc() && r.ptr == w.data() + w.size()) {
                out = v;
                return true;
            }
        }
        double d = 0;
        auto r = std::from_chars(w.data(), w.data() + w.size(), d);
        if (r.ec != std::errc() || !std::isfinite(d)) return false;
        out = d;
        return true;
    }

    static int hex(char c) noexcept {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    bool read_hex4(std::uint32_t& v) {
        if (pos + 4 > src.size()) return false;
        v = 0;
        for (int k = 0; k < 4; ++k) {
            int h = hex(src[pos + k]);
            if (h < 0) return false;
            v = v * 16 + static_cast<std::uint32_t>(h);
        }
        pos += 4;
        return true;
    }

    bool parse_string(boost::json::value& out) {
        ++pos;  // opening quote
        std::string s;
        while (true) {
            if (at_end()) {
                fail("unterminated string");
                return false;
            }
            char c = src[pos];
            if (c == '"') {
                ++pos;
                break;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                fail("control character in string");
                return false;
            }
            if (c != '\\') {
                s.push_back(c);
                ++pos;
                continue;
            }
            ++pos;
            if (at_end()) {
                fail("unterminated escape");
                return false;
            }
            char e = src[pos++];
            switch (e) {
                case '"':
                    s.push_back('"');
                    break;
                case '\\':
                    s.push_back('\\');
                    break;
                case '/':
                    s.push_back('/');
                    break;
                case 'b':
                    s.push_back('\b');
                    break;
                case 'f':
                    s.push_back('\f');
                    break;
                case 'n':
                    s.push_back('\n');
                    break;
                case 'r':
                    s.push_back('\r');
                    break;
                case 't':
                    s.push_back('\t');
                    break;
                case 'u': {
                    std::uint32_t cp = 0;
                    if (!read_hex4(cp)) {
                        fail("invalid \\u escape");
                        return false;
                    }
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        std::uint32_t lo = 0;
                        if (pos + 2 > src.size() || src[pos] != '\\' || src[pos + 1] != 'u') {
                            fail("unpaired surrogate in \\u escape");
                            return false;
                        }
                        pos += 2;
                        if (!read_hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) {
                            fail("unpaired surrogate in \\u escape");
                            return false;
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail("unpaired surrogate in \\u escape");
                        return false;
                    }
                    append_utf8(cp, s);
                    break;
                }
                default:
                    --pos;
                    fail("invalid escape \"\\" + std::string(1, e) + "\"");
                    return false;
            }
        }
        if (!is_valid_utf8(s)) {
            fail("invalid UTF-8 in string");
            return false;
        }
        out = boost::json::string(s);
        return true;
    }
};

}  // namespace

result<filter_ptr> parse_filter(std::string_view text, const filter_limits& limits) {
    if (text.size() > limits.max_length)
        return error::bad_request(
            scim_type::invalid_filter,
            "invalid filter: longer than " + std::to_string(limits.max_length) + " characters");
    parser p{text, limits, 0, 0, 0, false, std::nullopt};
    p.skip_ws();
    if (p.at_end()) return error::bad_request(scim_type::invalid_filter, "invalid filter: empty");
    auto f = p.parse_or();
    if (f) {
        p.skip_ws();
        if (!p.at_end()) {
            if (p.peek() == ')')
                p.fail("unbalanced \")\"");
            else if (p.peek() == ']')
                p.fail("unbalanced \"]\"");
            else
                p.fail("expected \"and\" or \"or\"");
            f.reset();
        }
    }
    if (!f)
        return p.err ? std::move(*p.err)
                     : error::bad_request(scim_type::invalid_filter, "invalid filter");
    return f;
}

}  // namespace orgscim::scim
