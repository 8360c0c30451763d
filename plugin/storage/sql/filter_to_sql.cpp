#include "sql/filter_to_sql.hpp"

#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/text.hpp>

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
        if (iequals(p.attr, "userName")) return column{col_kind::folded, "r.username_f", true};
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
        if (!out) params.resize(mark);
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
    std::string bind_param(param p) {
        params.push_back(std::move(p));
        std::size_t n = first_ + params.size() - 1;
        if (d_ == dialect::sqlite) return "?" + std::to_string(n);
        bool is_text = std::holds_alternative<std::string>(params.back());
        return "$" + std::to_string(n) + (is_text ? "::text" : "::bigint");
    }

    std::string text_cmp(const std::string& c, const char* op, const std::string& ph) const {
        if (d_ == dialect::postgres) return c + " COLLATE \"C\" " + op + " " + ph;
        return c + " " + op + " " + ph;
    }

    // A string comparison on a (possibly NULL) text column; always two-valued.
    std::optional<std::string> string_leaf(const std::string& c,
                                           bool nullable,
                                           scim::compare_op op,
                                           const std::string& value) {
        using scim::compare_op;
        std::string guard = nullable ? "(" + c + " IS NOT NULL AND " : "(";
        if (op == compare_op::pr) return nullable ? "(" + c + " IS NOT NULL)" : "(1=1)";
        if ((op == compare_op::co || op == compare_op::sw || op == compare_op::ew) && value.empty())
            return nullable ? "(" + c + " IS NOT NULL)" : "(1=1)";
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

    std::optional<std::string> node(const scim::comparison& c) {
        using scim::compare_op;
        auto col = column_for(c.path);
        if (!col) return std::nullopt;
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
            case col_kind::groups: {
                // Multi-valued: "some value matches"; ne is "no value equals" (as in matches()).
                // pr probes per row by primary key; comparisons select matching ids once through
                // the value index (an IN list the planner can drive the lookup from).
                std::string head;
                std::string in;
                std::string tenant = d_ == dialect::sqlite ? "?1" : "$1::text";
                if (col->kind == col_kind::emails) {
                    head =
                        "EXISTS (SELECT 1 FROM resource_emails e WHERE e.tenant = r.tenant AND "
                        "e.rid = r.id";
                    in = "r.id IN (SELECT e.rid FROM resource_emails e WHERE e.tenant = " + tenant;
                } else if (col->kind == col_kind::members) {
                    head =
                        "EXISTS (SELECT 1 FROM group_members m WHERE m.tenant = r.tenant AND "
                        "m.group_id = r.id";
                    in = "r.id IN (SELECT m.group_id FROM group_members m WHERE m.tenant = " +
                         tenant;
                } else {
                    head =
                        "EXISTS (SELECT 1 FROM group_members g WHERE g.tenant = r.tenant AND "
                        "g.member_id = r.id";
                    in = "r.id IN (SELECT g.member_id FROM group_members g WHERE g.tenant = " +
                         tenant;
                }
                if (c.op == compare_op::pr) return head + ")";
                // ids are lower-case hex, so the folded value finds them as matches() would.
                std::string v = scim::fold_case(value);
                if (col->kind != col_kind::emails && c.op != compare_op::eq &&
                    c.op != compare_op::ne)
                    return std::nullopt;
                bool negate = c.op == compare_op::ne;
                auto leaf = string_leaf(col->expr, false, negate ? compare_op::eq : c.op, v);
                if (!leaf) return std::nullopt;
                return std::string(negate ? "(NOT " : "(") + in + " AND " + *leaf + "))";
            }
        }
        return std::nullopt;
    }

    std::optional<std::string> node(const scim::logical& l) {
        if (!l.lhs || !l.rhs) return std::nullopt;
        auto a = exact(*l.lhs);
        if (!a) return std::nullopt;
        auto b = exact(*l.rhs);
        if (!b) return std::nullopt;
        return "(" + *a + (l.op == scim::logical::and_ ? " AND " : " OR ") + *b + ")";
    }

    std::optional<std::string> node(const scim::negation& n) {
        if (!n.inner) return std::nullopt;
        auto a = exact(*n.inner);
        if (!a) return std::nullopt;
        return "(NOT " + *a + ")";
    }

    std::optional<std::string> node(const scim::value_path&) { return std::nullopt; }

    dialect d_;
    std::size_t first_;
};

}  // namespace

where_clause translate_filter(const scim::filter_node* f, dialect d, std::size_t first_index) {
    where_clause out;
    if (f == nullptr) return out;
    translator t(d, first_index);
    if (auto e = t.exact(*f)) {
        out.sql = std::move(*e);
        out.params = std::move(t.params);
        return out;
    }
    std::vector<std::string> parts;
    t.narrow(*f, parts);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out.sql += " AND ";
        out.sql += parts[i];
    }
    out.params = std::move(t.params);
    out.exact = false;
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
