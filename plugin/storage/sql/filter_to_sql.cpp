#include "sql/filter_to_sql.hpp"

#include <array>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/text.hpp>
#include <utility>

#include "sql/records.hpp"

namespace orgscim::plugin::sql {

namespace {

enum class col_kind { folded, exact, time, emails, members, groups };

struct column {
    col_kind kind;
    std::string expr;
    bool nullable = true;
};

std::optional<column> column_for(const scim::attr_path& p) {
    using scim::iequals;
    if (p.in_extension) return std::nullopt;
    if (p.sub.empty()) {
        if (iequals(p.attr, "id")) return column{col_kind::exact, "r.id", false};
        if (iequals(p.attr, "externalId")) return column{col_kind::exact, "r.external_id", true};
        // A User's ukey is its folded userName (compute_columns) and only Users have a userName
        // (bind() rejects it elsewhere): the uniqueness index answers it, so no second index.
        if (iequals(p.attr, "userName")) return column{col_kind::folded, "r.ukey", true};
        if (iequals(p.attr, "displayName")) return column{col_kind::folded, "r.display_f", true};
        return std::nullopt;
    }
    if (iequals(p.attr, "meta")) {
        if (iequals(p.sub, "created")) return column{col_kind::time, "r.created_ms", false};
        if (iequals(p.sub, "lastModified")) return column{col_kind::time, "r.modified_ms", false};
        return std::nullopt;
    }
    if (iequals(p.sub, "value")) {
        if (iequals(p.attr, "emails")) return column{col_kind::emails, "e.value_f", false};
        if (iequals(p.attr, "members")) return column{col_kind::members, "m.member_id", false};
        if (iequals(p.attr, "groups")) return column{col_kind::groups, "g.group_id", false};
    }
    return std::nullopt;
}

// The wire view adds these to the stored body; every other attribute is in `body` as
// validate_resource() left it (canonical names, schema-conforming shapes).
bool outside_body(const scim::attr_path& p) {
    using scim::iequals;
    if (p.in_extension) return false;
    return iequals(p.attr, "id") || iequals(p.attr, "meta") || iequals(p.attr, "members") ||
           iequals(p.attr, "groups");
}

bool is_stringish(scim::attr_type t) {
    return t == scim::attr_type::string || t == scim::attr_type::reference ||
           t == scim::attr_type::binary;
}

// PostgreSQL has no function for scim::fold_case() (simple case folding, one code point to one),
// but translate() maps code points one to one: the pairs are taken from fold_case() itself, so
// the two cannot drift apart.
struct fold_pairs {
    std::string from;
    std::string to;
    std::array<bool, 128> ascii_target{};  ///< some non-ASCII code point folds to it (K, s)
};

const fold_pairs& pg_fold_pairs() {
    static const fold_pairs pairs = [] {
        fold_pairs out;
        std::string one;
        std::string folded;
        for (char32_t cp = 'A'; cp <= 0x10FFFF; ++cp) {
            if (cp >= 0xD800 && cp <= 0xDFFF) continue;
            one.clear();
            scim::append_utf8(cp, one);
            folded.clear();
            scim::fold_case_append(one, folded);
            if (folded != one) {
                out.from += one;
                out.to += folded;
                if (cp >= 0x80 && folded.size() == 1)
                    out.ascii_target[static_cast<unsigned char>(folded[0])] = true;
            }
        }
        return out;
    }();
    return pairs;
}

// A LIKE pattern that the raw body text matches whenever some string value in it contains a
// value whose fold_case() contains `needle` (folded). SQLite's LIKE ignores ASCII case and `_`
// stands for one character, which covers fold_case() (one code point to one): non-ASCII
// characters, and ASCII letters that a non-ASCII code point folds to, become `_`. nullopt when
// the needle holds what JSON escapes (the body would spell it differently).
std::optional<std::string> body_like_pattern(std::string_view needle) {
    const auto& targets = pg_fold_pairs().ascii_target;
    std::string p = "%";
    for (std::size_t i = 0; i < needle.size();) {
        const auto b = static_cast<unsigned char>(needle[i]);
        if (b >= 0x80) {
            std::size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            p += '_';
            i += len;
            continue;
        }
        if (b < 0x20 || b == '"' || b == '\\') return std::nullopt;
        if (targets[b]) {
            p += '_';
        } else {
            if (b == '%' || b == '_') p += '\\';
            p += static_cast<char>(b);
        }
        ++i;
    }
    return p + "%";
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

class translator {
  public:
    translator(dialect d, std::size_t first) : d_(d), first_(first) {}

    std::vector<param> params;

    std::optional<std::string> exact(const scim::filter_node& f) {
        std::size_t mark = params.size();
        auto out = std::visit([&](const auto& n) { return node(n); }, f.v);
        if (!out) {
            params.resize(mark);
            if (fold_mark_ >= mark) fold_ph_.reset();
        }
        return out;
    }

    // Conjuncts of a top-level AND chain that translate; each narrows the result.
    void narrow(const scim::filter_node& f, std::vector<std::string>& parts) {
        if (auto e = exact(f)) {
            parts.push_back(std::move(*e));
            return;
        }
        if (const auto* l = std::get_if<scim::logical>(&f.v); l && l->op == scim::logical::and_) {
            if (l->lhs) narrow(*l->lhs, parts);
            if (l->rhs) narrow(*l->rhs, parts);
        }
    }

  private:
    // Where JSON values are read from: `base` is an SQL expression holding a JSON object (the
    // resource body, or one element of a multi-valued attribute) and `keys` lead into it.
    struct json_at {
        std::string base;
        std::vector<std::string> keys;
    };

    bool pg() const { return d_ == dialect::postgres; }

    // The resource body: SQLite reads the TEXT column (its JSON functions cache one parse per
    // row); PostgreSQL reads `rb.b`, the body parsed once per row by where_clause::joins.
    std::string body() const { return pg() ? "rb.b" : "r.body"; }

    std::string bind_param(param p) {
        params.push_back(std::move(p));
        std::size_t n = first_ + params.size() - 1;
        if (d_ == dialect::sqlite) return "?" + std::to_string(n);
        bool is_text = std::holds_alternative<std::string>(params.back());
        return "$" + std::to_string(n) + (is_text ? "::text" : "::bigint");
    }

    // SQLite: one JSON path parameter, every key quoted (URNs hold ':' and '.').
    std::string sqlite_path(const std::vector<std::string>& keys) {
        std::string path = "$";
        for (const auto& k : keys) path += ".\"" + k + "\"";
        return bind_param(path);
    }

    // PostgreSQL: the jsonb at `at` (`last_text`: the last step as text, ->>).
    std::string pg_walk(const json_at& at, bool last_text) {
        std::string out = "(" + at.base;
        for (std::size_t i = 0; i < at.keys.size(); ++i) {
            bool text = last_text && i + 1 == at.keys.size();
            out += (text ? " ->> " : " -> ") + bind_param(at.keys[i]);
        }
        if (at.keys.empty() && last_text) out += " #>> '{}'";
        return out + ")";
    }

    // The scalar at `at` as SQL text; NULL when absent or JSON null.
    std::string text_at(const json_at& at) {
        if (pg()) return pg_walk(at, true);
        if (at.keys.empty()) return at.base;  // a json_each value: already SQL text
        return "json_extract(" + at.base + ", " + sqlite_path(at.keys) + ")";
    }

    // json_type() (SQLite) / jsonb_typeof() (PostgreSQL) of `at` IS `kind`; never NULL.
    std::string type_is(const json_at& at, const char* sqlite_kind, const char* pg_kind) {
        if (pg())
            return "coalesce(jsonb_typeof(" + pg_walk(at, false) + ") = '" + pg_kind + "', false)";
        return "(json_type(" + at.base + ", " + sqlite_path(at.keys) + ") IS '" + sqlite_kind +
               "')";
    }

    // scim::fold_case() of a text expression, in SQL.
    std::string fold(const std::string& t) {
        if (!pg()) return "scim_fold(" + t + ")";  // registered on every connection (sqlite_db)
        if (!fold_ph_) {
            fold_mark_ = params.size();
            std::string from = bind_param(pg_fold_pairs().from);
            std::string to = bind_param(pg_fold_pairs().to);
            fold_ph_ = std::make_pair(from, to);
        }
        // lower() under the C collation changes A-Z only, exactly fold_case() on ASCII; the
        // slower translate() only runs on values with other characters.
        return "(CASE WHEN octet_length(" + t + ") = char_length(" + t + ") THEN lower((" + t +
               ") COLLATE \"C\") ELSE translate(" + t + ", " + fold_ph_->first + ", " +
               fold_ph_->second + ") END)";
    }

    // Some element of the array at `at` satisfies `cond` (built over the element's base).
    template <class F>
    std::optional<std::string> any_element(const json_at& at, bool objects, F&& cond) {
        if (pg()) {
            std::string arr = pg_walk(at, false);
            auto c = cond(std::string("j.v"));
            if (!c) return std::nullopt;
            return "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof(" + arr +
                   ") WHEN 'array' THEN " + arr + " END) j(v) WHERE " + *c + ")";
        }
        std::string from = "json_each(" + at.base + ", " + sqlite_path(at.keys) + ") j";
        auto c = cond(std::string("j.value"));
        if (!c) return std::nullopt;
        return "EXISTS (SELECT 1 FROM " + from + " WHERE " +
               (objects ? "j.type = 'object' AND " : "") + *c + ")";
    }

    std::string text_cmp(const std::string& c, const char* op, const std::string& ph) const {
        if (d_ == dialect::postgres) return c + " COLLATE \"C\" " + op + " " + ph;
        return c + " " + op + " " + ph;
    }

    // A string comparison on a (possibly NULL) text column; always two-valued. `probe` is what
    // the NULL guard tests (default: the column itself).
    std::optional<std::string> string_leaf(const std::string& c,
                                           bool nullable,
                                           scim::compare_op op,
                                           const std::string& value,
                                           const std::string& probe = {}) {
        using scim::compare_op;
        const std::string& p = probe.empty() ? c : probe;
        std::string guard = nullable ? "(" + p + " IS NOT NULL AND " : "(";
        if (op == compare_op::pr) return nullable ? "(" + p + " IS NOT NULL)" : "(1=1)";
        if ((op == compare_op::co || op == compare_op::sw || op == compare_op::ew) && value.empty())
            return nullable ? "(" + p + " IS NOT NULL)" : "(1=1)";
        std::string ph = bind_param(value);
        bool pg = d_ == dialect::postgres;
        switch (op) {
            case compare_op::eq:
                return guard + c + " = " + ph + ")";
            case compare_op::ne:
                return "(NOT " + guard + c + " = " + ph + "))";
            case compare_op::co:
                return guard + (pg ? "strpos(" : "instr(") + c + ", " + ph + ") > 0)";
            case compare_op::sw:
                return guard +
                       (pg ? "left(" + c + ", length(" + ph + "))"
                           : "substr(" + c + ", 1, length(" + ph + "))") +
                       " = " + ph + ")";
            case compare_op::ew:
                return guard +
                       (pg ? "right(" + c + ", length(" + ph + "))"
                           : "substr(" + c + ", -length(" + ph + "))") +
                       " = " + ph + ")";
            case compare_op::gt:
                return guard + text_cmp(c, ">", ph) + ")";
            case compare_op::ge:
                return guard + text_cmp(c, ">=", ph) + ")";
            case compare_op::lt:
                return guard + text_cmp(c, "<", ph) + ")";
            case compare_op::le:
                return guard + text_cmp(c, "<=", ph) + ")";
            case compare_op::pr:
                break;
        }
        return std::nullopt;
    }

    // One stored scalar at `at` (described by `d`) against the filter value, as matches()'s
    // scalar_matches() and non_empty() decide it. `op` is never ne (the caller negates eq).
    // Strings and booleans only: numbers and dateTimes stay with the evaluator.
    std::optional<std::string> scalar_test(const scim::attribute& d,
                                           scim::compare_op op,
                                           const boost::json::value& value,
                                           const json_at& at) {
        using scim::compare_op;
        if (is_stringish(d.type)) {
            if (op != compare_op::pr && !value.is_string()) return std::nullopt;
            std::string t = text_at(at);
            if (op == compare_op::pr) return "(" + t + " IS NOT NULL AND " + t + " <> '')";
            std::string want(value.as_string());
            if (d.case_exact) return string_leaf(t, true, op, want);
            return string_leaf(fold(t), true, op, scim::fold_case(want), t);
        }
        if (d.type == scim::attr_type::boolean && !at.keys.empty()) {
            if (op == compare_op::pr) {
                if (pg()) return type_is(at, "", "boolean");
                return "(" + type_is(at, "true", "") + " OR " + type_is(at, "false", "") + ")";
            }
            if (op != compare_op::eq || !value.is_bool()) return std::nullopt;
            if (pg())
                return "coalesce(" + pg_walk(at, false) + " = '" +
                       (value.get_bool() ? "true" : "false") + "'::jsonb, false)";
            return type_is(at, value.get_bool() ? "true" : "false", "");
        }
        return std::nullopt;
    }

    // A comparison on an attribute stored in the body. Inside a value path (`elem_` set) the
    // path is relative to the element.
    std::optional<std::string> json_leaf(const scim::comparison& c) {
        using scim::compare_op;
        if (c.op != compare_op::pr && c.value.is_null()) return std::nullopt;  // eq null: evaluator
        const scim::attribute* a = c.path.attr_def;
        if (a == nullptr) return std::nullopt;
        const compare_op op = c.op == compare_op::ne ? compare_op::eq : c.op;
        std::optional<std::string> any;
        if (elem_ != nullptr) {
            if (a->multi_valued || a->type == scim::attr_type::complex) return std::nullopt;
            json_at at = *elem_;
            at.keys.push_back(c.path.attr);
            any = scalar_test(*a, op, c.value, at);
        } else {
            if (outside_body(c.path)) return std::nullopt;
            json_at at{body(), {}};
            if (c.path.in_extension) at.keys.push_back(c.path.urn);
            at.keys.push_back(c.path.attr);
            if (c.path.sub.empty()) {
                if (a->type == scim::attr_type::complex) return std::nullopt;
                if (!a->multi_valued) {
                    any = scalar_test(*a, op, c.value, at);
                } else {
                    any = any_element(at, false, [&](const std::string& el) {
                        return scalar_test(*a, op, c.value, json_at{el, {}});
                    });
                }
            } else {
                const scim::attribute* s = c.path.sub_def;
                if (s == nullptr || s->multi_valued || a->type != scim::attr_type::complex)
                    return std::nullopt;
                if (!a->multi_valued) {
                    at.keys.push_back(c.path.sub);
                    any = scalar_test(*s, op, c.value, at);
                } else {
                    any = any_element(at, true, [&](const std::string& el) {
                        return scalar_test(*s, op, c.value, json_at{el, {c.path.sub}});
                    });
                }
            }
        }
        if (!any) return std::nullopt;
        if (elem_ == nullptr && !pg() &&
            (op == compare_op::eq || op == compare_op::co || op == compare_op::sw ||
             op == compare_op::ew)) {
            // A plain text scan rejects most rows before the JSON is parsed (4x on 10,000
            // users); the test implies nothing the comparison does not, so it is exact.
            const scim::attribute* d = c.path.sub_def != nullptr ? c.path.sub_def : a;
            if (is_stringish(d->type) && c.value.is_string() && !c.value.as_string().empty()) {
                std::string folded = scim::fold_case(c.value.as_string());
                if (auto like = body_like_pattern(folded))
                    any = "(r.body LIKE " + bind_param(*like) + " ESCAPE '\\' AND " + *any + ")";
            }
        }
        // ne is "no value equals" (as in matches()): true when the attribute is absent.
        if (c.op == compare_op::ne) return "(NOT " + *any + ")";
        return any;
    }

    // Multi-valued attributes with a side table (emails, members, groups): "some value matches";
    // ne is "no value equals" (as in matches()). pr probes per row by primary key; comparisons
    // select matching ids once through the value index (an IN list the planner can drive the
    // lookup from).
    std::optional<std::string> indexed_multi(const column& col,
                                             scim::compare_op op,
                                             const std::string& value) {
        using scim::compare_op;
        std::string head;
        std::string in;
        std::string tenant = d_ == dialect::sqlite ? "?1" : "$1::text";
        if (col.kind == col_kind::emails) {
            head =
                "EXISTS (SELECT 1 FROM resource_emails e WHERE e.tenant = r.tenant AND "
                "e.rid = r.id";
            in = "r.id IN (SELECT e.rid FROM resource_emails e WHERE e.tenant = " + tenant;
        } else if (col.kind == col_kind::members) {
            head =
                "EXISTS (SELECT 1 FROM group_members m WHERE m.tenant = r.tenant AND "
                "m.group_id = r.id";
            in = "r.id IN (SELECT m.group_id FROM group_members m WHERE m.tenant = " + tenant;
        } else {
            head =
                "EXISTS (SELECT 1 FROM group_members g WHERE g.tenant = r.tenant AND "
                "g.member_id = r.id";
            in = "r.id IN (SELECT g.member_id FROM group_members g WHERE g.tenant = " + tenant;
        }
        if (op == compare_op::pr) return head + ")";
        // ids are lower-case hex, so the folded value finds them as matches() would.
        std::string v = scim::fold_case(value);
        if (col.kind != col_kind::emails && op != compare_op::eq && op != compare_op::ne)
            return std::nullopt;
        bool negate = op == compare_op::ne;
        auto leaf = string_leaf(col.expr, false, negate ? compare_op::eq : op, v);
        if (!leaf) return std::nullopt;
        return std::string(negate ? "(NOT " : "(") + in + " AND " + *leaf + "))";
    }

    std::optional<std::string> node(const scim::comparison& c) {
        using scim::compare_op;
        if (elem_ != nullptr) return json_leaf(c);
        auto col = column_for(c.path);
        if (!col) return json_leaf(c);
        if (c.op != compare_op::pr && !c.value.is_string()) return std::nullopt;
        std::string value =
            c.op == compare_op::pr ? std::string() : std::string(c.value.as_string());
        switch (col->kind) {
            case col_kind::exact:
                return string_leaf(col->expr, col->nullable, c.op, value);
            case col_kind::folded:
                return string_leaf(col->expr, col->nullable, c.op, scim::fold_case(value));
            case col_kind::time: {
                if (c.op == compare_op::pr) return "(1=1)";
                // matches() compares instants in microseconds; the column holds milliseconds.
                auto us = scim::parse_date_time(value);
                if (!us) return std::nullopt;
                std::int64_t lo = floor_div(*us, 1000);
                std::int64_t hi = lo + (*us % 1000 != 0 ? 1 : 0);
                bool whole = *us % 1000 == 0;
                switch (c.op) {
                    case compare_op::eq:
                        return whole ? "(" + col->expr + " = " + bind_param(lo) + ")" : "(1=0)";
                    case compare_op::ne:
                        return whole ? "(" + col->expr + " <> " + bind_param(lo) + ")" : "(1=1)";
                    case compare_op::gt:
                        return "(" + col->expr + " > " + bind_param(lo) + ")";
                    case compare_op::ge:
                        return "(" + col->expr + " >= " + bind_param(hi) + ")";
                    case compare_op::lt:
                        return "(" + col->expr + " < " + bind_param(hi) + ")";
                    case compare_op::le:
                        return "(" + col->expr + " <= " + bind_param(lo) + ")";
                    default:
                        return std::nullopt;
                }
            }
            case col_kind::emails:
            case col_kind::members:
            case col_kind::groups:
                return indexed_multi(*col, c.op, value);
        }
        return std::nullopt;
    }

    std::optional<std::string> node(const scim::logical& l) {
        if (!l.lhs || !l.rhs) return std::nullopt;
        auto a = exact(*l.lhs);
        if (!a) return std::nullopt;
        auto b = exact(*l.rhs);
        if (!b) return std::nullopt;
        // SQLite tests the terms in the order written: a column test first spares most rows the
        // JSON parse (`not (active eq false) and userName sw "x"`).
        auto reads_body = [](const std::string& s) {
            return s.find("r.body") != std::string::npos || s.find("rb.b") != std::string::npos;
        };
        if (reads_body(*a) && !reads_body(*b)) std::swap(a, b);
        return "(" + *a + (l.op == scim::logical::and_ ? " AND " : " OR ") + *b + ")";
    }

    std::optional<std::string> node(const scim::negation& n) {
        if (!n.inner) return std::nullopt;
        auto a = exact(*n.inner);
        if (!a) return std::nullopt;
        return "(NOT " + *a + ")";
    }

    // Conjuncts `value op "x"` of a value filter on emails: each implies that some indexed
    // address matches, which narrows through resource_emails before any body is read. Only
    // non-empty eq/co/sw/ew: resource_emails leaves out empty addresses.
    void email_hints(const scim::filter_node& f, std::vector<std::string>& out) {
        using scim::compare_op;
        if (const auto* l = std::get_if<scim::logical>(&f.v)) {
            if (l->op != scim::logical::and_) return;
            if (l->lhs) email_hints(*l->lhs, out);
            if (l->rhs) email_hints(*l->rhs, out);
            return;
        }
        const auto* c = std::get_if<scim::comparison>(&f.v);
        if (c == nullptr || !scim::iequals(c->path.attr, "value") || !c->value.is_string() ||
            c->value.as_string().empty())
            return;
        if (c->op != compare_op::eq && c->op != compare_op::co && c->op != compare_op::sw &&
            c->op != compare_op::ew)
            return;
        column col{col_kind::emails, "e.value_f", false};
        if (auto s = indexed_multi(col, c->op, std::string(c->value.as_string())))
            out.push_back(std::move(*s));
    }

    // attr[filter]: one element satisfies the whole inner filter (RFC 7644 §3.4.2.2).
    std::optional<std::string> node(const scim::value_path& vp) {
        const scim::attribute* a = vp.path.attr_def;
        if (elem_ != nullptr || !vp.inner || a == nullptr || !vp.path.sub.empty() ||
            a->type != scim::attr_type::complex || outside_body(vp.path))
            return std::nullopt;
        json_at at{body(), {}};
        if (vp.path.in_extension) at.keys.push_back(vp.path.urn);
        at.keys.push_back(vp.path.attr);
        auto inner = [&](const json_at& el) {
            elem_ = &el;
            auto out = exact(*vp.inner);
            elem_ = nullptr;
            return out;
        };
        std::optional<std::string> sql;
        if (a->multi_valued) {
            sql = any_element(at, true, [&](const std::string& el) {
                json_at e{el, {}};
                return inner(e);
            });
        } else {
            std::string obj = type_is(at, "object", "object");
            if (auto i = inner(at)) sql = "(" + obj + " AND " + *i + ")";
        }
        if (!sql) return std::nullopt;
        if (!vp.path.in_extension && scim::iequals(vp.path.attr, "emails")) {
            std::vector<std::string> hints;
            email_hints(*vp.inner, hints);
            for (auto& h : hints) *sql = "(" + h + " AND " + *sql + ")";
        }
        return sql;
    }

    dialect d_;
    std::size_t first_;
    const json_at* elem_ = nullptr;
    std::optional<std::pair<std::string, std::string>> fold_ph_;
    std::size_t fold_mark_ = 0;
};

}  // namespace

where_clause translate_filter(const scim::filter_node* f, dialect d, std::size_t first_index) {
    where_clause out;
    if (f == nullptr) return out;
    translator t(d, first_index);
    if (auto e = t.exact(*f)) {
        out.sql = std::move(*e);
        out.params = std::move(t.params);
    } else {
        std::vector<std::string> parts;
        t.narrow(*f, parts);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i > 0) out.sql += " AND ";
            out.sql += parts[i];
        }
        out.params = std::move(t.params);
        out.exact = false;
    }
    if (d == dialect::postgres && out.sql.find("rb.b") != std::string::npos) {
        // OFFSET 0 keeps the subquery from being pulled up, which would parse once per use.
        out.joins = " CROSS JOIN LATERAL (SELECT r.body::jsonb AS b OFFSET 0) rb";
    }
    return out;
}

std::optional<std::string> sort_column(const scim::attr_path& path, dialect d) {
    auto col = column_for(path);
    if (!col) return std::nullopt;
    switch (col->kind) {
        case col_kind::exact:
        case col_kind::folded:
            return d == dialect::postgres ? col->expr + " COLLATE \"C\"" : col->expr;
        case col_kind::time:
            return col->expr;
        default:
            return std::nullopt;
    }
}

}  // namespace orgscim::plugin::sql
