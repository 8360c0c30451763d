// PATCH (RFC 7644 §3.5.2). Operations run in order on a copy of the stored form; the result is
// normalized and validated by validate_resource() and only then swapped in (all or nothing).
// Group membership goes into a member_delta so that large groups are never materialized.
#include <boost/json.hpp>
#include <orgscim/scim/patch.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/validate.hpp>

namespace orgscim::scim {

namespace json = boost::json;

namespace {

error syntax(std::string d) { return error::bad_request(scim_type::invalid_syntax, std::move(d)); }
error bad_value(std::string d) {
    return error::bad_request(scim_type::invalid_value, std::move(d));
}
error mutability_error(std::string d) {
    return error::bad_request(scim_type::mutability, std::move(d));
}
error no_target(std::string d) { return error::bad_request(scim_type::no_target, std::move(d)); }

std::string quoted(std::string_view s) {
    std::string out = "\"";
    out.append(s.substr(0, 100));
    if (s.size() > 100) out += "...";
    out += '"';
    return out;
}

const json::value* member_ci(const json::object& o, std::string_view name) {
    if (auto* v = o.if_contains(name)) return v;
    for (const auto& kv : o)
        if (iequals(kv.key(), name)) return &kv.value();
    return nullptr;
}

/// "members[value eq \"x\"]" -> x; nullopt for any other filter.
std::optional<std::string_view> simple_member_filter(const filter_node& f) {
    const auto* c = std::get_if<comparison>(&f.v);
    if (!c || c->op != compare_op::eq || !c->value.is_string() || c->path.attr != "value")
        return std::nullopt;
    return std::string_view(c->value.get_string());
}

bool is_members(const patch_path& p) {
    return p.attr.attr == "members" && !p.attr.in_extension && p.attr.attr_def &&
           p.attr.attr_def->multi_valued && p.attr.attr_def->type == attr_type::complex;
}

/// Splits "attr[filter].sub" at the brackets, respecting quoted strings in the filter.
struct split_path {
    std::string_view attr;  // with the filter: "emails[type eq \"work\"]"
    std::string_view sub;   // after "].", may be empty
    bool has_filter = false;
};

result<split_path> split(std::string_view text) {
    split_path out;
    auto open = text.find('[');
    if (open == std::string_view::npos) {
        out.attr = text;
        return out;
    }
    bool in_string = false;
    std::size_t close = std::string_view::npos;
    for (std::size_t i = open + 1; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == ']') {
            close = i;
            break;
        }
    }
    if (close == std::string_view::npos)
        return error::bad_request(scim_type::invalid_path,
                                  "invalid path " + quoted(text) + ": missing \"]\"");
    out.attr = text.substr(0, close + 1);
    out.has_filter = true;
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
        if (rest.front() != '.' || rest.size() < 2)
            return error::bad_request(scim_type::invalid_path,
                                      "invalid path " + quoted(text) + " after \"]\"");
        out.sub = rest.substr(1);
    }
    return out;
}

result<patch_path> parse_path(std::string_view text, const resource_type& type) {
    auto sp = split(text);
    if (!sp) return sp.error();
    patch_path pp;
    if (!sp->has_filter) {
        auto p = parse_attr_path(text);
        if (!p) return p.error();
        if (auto r = bind(*p, type, scim_type::invalid_path); !r) return r.error();
        pp.attr = std::move(*p);
        return pp;
    }
    auto f = parse_filter(sp->attr);
    if (!f)
        return error::bad_request(
            scim_type::invalid_filter,
            "invalid filter in path " + quoted(text) + ": " + f.error().detail);
    auto* vp = std::get_if<value_path>(&(*f)->v);
    if (!vp) return error::bad_request(scim_type::invalid_path, "invalid path " + quoted(text));
    if (auto r = bind(vp->path, type, scim_type::invalid_path); !r) return r.error();
    if (auto r = bind(**f, type); !r) {
        auto e = r.error();
        e.detail = "in path " + quoted(text) + ": " + e.detail;
        return e;
    }
    pp.attr = std::move(vp->path);
    pp.value_filter = std::move(vp->inner);
    if (!sp->sub.empty()) {
        const attribute* sd = pp.attr.attr_def->sub(sp->sub);
        if (!sd)
            return error::bad_request(
                scim_type::invalid_path,
                "unknown sub-attribute " + quoted(sp->sub) + " in path " + quoted(text));
        pp.sub = sd->name;
    }
    return pp;
}

/// The descriptor an operation targets: the sub-attribute when there is one.
const attribute* target_def(const patch_path& p) {
    if (!p.sub.empty()) return p.attr.attr_def->sub(p.sub);
    if (p.attr.sub_def) return p.attr.sub_def;
    return p.attr.attr_def;
}

// ---- applying ------------------------------------------------------------------------------

struct applier {
    json::object& res;
    const resource_type& type;
    const compat_options& compat;
    member_delta* members;
    member_delta delta;

    json::object* container(const attr_path& p, bool create) {
        if (!p.in_extension) return &res;
        auto* v = res.if_contains(p.urn);
        if (!v) {
            if (!create) return nullptr;
            v = &res[p.urn];
        }
        if (!v->is_object()) {
            if (!create) return nullptr;
            *v = json::object();
        }
        return &v->get_object();
    }

    // -- group members as a delta --

    static result<std::string> member_id(const json::value& v) {
        if (const auto* o = v.if_object())
            if (const auto* id = member_ci(*o, "value"); id && id->is_string())
                return std::string(id->get_string());
        return bad_value("each member needs a string \"value\" (the member's id)");
    }

    void delta_add(std::string id) {
        std::erase(delta.remove, id);
        if (std::find(delta.add.begin(), delta.add.end(), id) == delta.add.end())
            delta.add.push_back(std::move(id));
    }
    void delta_remove(std::string id) {
        std::erase(delta.add, id);
        if (std::find(delta.remove.begin(), delta.remove.end(), id) == delta.remove.end())
            delta.remove.push_back(std::move(id));
    }
    void delta_clear() {
        delta.clear_all = true;
        delta.add.clear();
        delta.remove.clear();
    }

    result<void> members_add(const json::value& v) {
        if (v.is_null()) return {};
        if (const auto* a = v.if_array()) {
            for (const auto& el : *a) {
                auto id = member_id(el);
                if (!id) return id.error();
                delta_add(std::move(*id));
            }
            return {};
        }
        auto id = member_id(v);
        if (!id) return id.error();
        delta_add(std::move(*id));
        return {};
    }

    result<void> members_op(const patch_operation& op, const patch_path* p) {
        switch (op.op) {
            case patch_kind::add:
                return members_add(op.value);
            case patch_kind::replace:
                if (p && p->value_filter)
                    return error::internal("member filter needs the member list");
                delta_clear();
                return members_add(op.value);
            case patch_kind::remove:
                if (p && p->value_filter) {
                    auto id = simple_member_filter(*p->value_filter);
                    if (!id) return error::internal("member filter needs the member list");
                    delta_remove(std::string(*id));
                    return {};
                }
                if (compat.remove_members_by_value_list && op.value.is_array() &&
                    !op.value.get_array().empty()) {
                    for (const auto& el : op.value.get_array()) {
                        auto id = member_id(el);
                        if (!id) return id.error();
                        delta_remove(std::move(*id));
                    }
                    return {};
                }
                delta_clear();
                return {};
        }
        return {};
    }

    // -- mutability --

    static result<void> check_writable(const attribute& def, std::string_view shown) {
        if (def.mutability == mutability::read_only)
            return mutability_error("attribute " + quoted(shown) + " is readOnly");
        return {};
    }

    /// Sets `slot` (which may hold an old value) to `v`, respecting immutability.
    static result<void> set_checked(json::value& slot,
                                    json::value&& v,
                                    const attribute& def,
                                    std::string_view shown) {
        if (def.mutability == mutability::immutable && !slot.is_null() && slot != v)
            return mutability_error("attribute " + quoted(shown) +
                                    " is immutable and already has a value");
        slot = std::move(v);
        return {};
    }

    /// Merges the sub-attributes of `v` into the complex value `slot` (add/replace on a complex
    /// attribute keeps the sub-attributes it does not name, RFC 7644 §3.5.2.1/3).
    static result<void> merge_complex(json::value& slot,
                                      json::value&& v,
                                      const attribute& def,
                                      std::string_view shown) {
        if (!slot.is_object()) slot = json::object();
        auto& dst = slot.get_object();
        for (auto& kv : v.get_object()) {
            const attribute* sd = def.sub(kv.key());
            if (!sd) continue;  // normalize_value() already rejected unknown names
            auto& cur = dst[sd->name];
            if (auto r = set_checked(cur, std::move(kv.value()), *sd,
                                     std::string(shown) + "." + sd->name);
                !r)
                return r;
        }
        return {};
    }

    /// After values were set primary, the others stop being primary (RFC 7643 §2.4).
    static void enforce_primary(json::array& arr, const std::vector<std::size_t>& touched) {
        std::optional<std::size_t> winner;
        for (auto i : touched) {
            const auto* o = arr[i].if_object();
            if (!o) continue;
            const auto* p = o->if_contains("primary");
            if (p && p->is_bool() && p->get_bool()) winner = i;
        }
        if (!winner) return;
        for (std::size_t i = 0; i < arr.size(); ++i) {
            if (i == *winner) continue;
            if (auto* o = arr[i].if_object()) o->erase("primary");
        }
    }

    /// Builds a new element from an `a eq v and b eq w` filter; nullopt when the filter says
    /// anything else (then the client must be told there is no target).
    static bool seed_from_filter(const filter_node& f, json::object& out) {
        if (const auto* c = std::get_if<comparison>(&f.v)) {
            if (c->op != compare_op::eq || c->value.is_null()) return false;
            out[c->path.attr] = c->value;
            return true;
        }
        if (const auto* l = std::get_if<logical>(&f.v))
            return l->op == logical::and_ && seed_from_filter(*l->lhs, out) &&
                   seed_from_filter(*l->rhs, out);
        return false;
    }

    // -- add / replace --

    result<void> set_path(const patch_operation& op, const patch_path& p) {
        const attr_path& ap = p.attr;
        const attribute& def = *ap.attr_def;
        const attribute* tdef = target_def(p);
        const std::string shown = ap.to_string();
        if (auto r = check_writable(def, shown); !r) return r;
        if (tdef != &def)
            if (auto r = check_writable(*tdef, shown + "." + tdef->name); !r) return r;
        if (def.mutability == mutability::write_only || tdef->mutability == mutability::write_only)
            return {};  // password: never stored (the host owns credentials)
        if (op.value.is_null())
            return bad_value("operation on " + quoted(shown) + " needs a \"value\"");
        const bool replace = op.op == patch_kind::replace;

        json::object* root = container(ap, true);

        if (p.value_filter) {
            json::value v = op.value;
            if (p.sub.empty()) {
                if (auto r = normalize_single(v, def, compat, shown); !r) return r;
            } else if (auto r = normalize_single(v, *tdef, compat, shown + "." + p.sub); !r) {
                return r;
            }
            auto& slot = (*root)[def.name];
            if (!slot.is_array()) slot = json::array();
            auto& arr = slot.get_array();
            std::vector<std::size_t> touched;
            for (std::size_t i = 0; i < arr.size(); ++i) {
                auto* el = arr[i].if_object();
                if (!el || !matches(*p.value_filter, *el)) continue;
                touched.push_back(i);
                if (!p.sub.empty()) {
                    auto& cur = (*el)[p.sub];
                    json::value copy = v;
                    if (auto r = set_checked(cur, std::move(copy), *tdef, shown + "." + p.sub); !r)
                        return r;
                } else if (replace) {
                    arr[i] = v;
                } else {
                    json::value copy = v;
                    if (auto r = merge_complex(arr[i], std::move(copy), def, shown); !r) return r;
                }
            }
            if (touched.empty()) {
                json::object seed;
                if (!seed_from_filter(*p.value_filter, seed))
                    return no_target("no value of " + quoted(shown) + " matches the filter");
                if (!p.sub.empty()) {
                    seed[p.sub] = std::move(v);
                } else {
                    for (auto& kv : v.get_object()) seed[kv.key()] = std::move(kv.value());
                }
                json::value el(std::move(seed));
                if (auto r = normalize_single(el, def, compat, shown); !r) return r;
                arr.push_back(std::move(el));
                touched.push_back(arr.size() - 1);
            }
            enforce_primary(arr, touched);
            return {};
        }

        json::value v = op.value;
        if (ap.sub_def) {
            // name.givenName, or emails.value (every value of a multi-valued attribute)
            if (auto r = normalize_single(v, *ap.sub_def, compat, shown); !r) return r;
            auto& slot = (*root)[def.name];
            if (def.multi_valued) {
                if (!slot.is_array() || slot.get_array().empty()) {
                    json::object el;
                    el[ap.sub_def->name] = std::move(v);
                    slot = json::array{std::move(el)};
                    return {};
                }
                for (auto& el : slot.get_array()) {
                    if (!el.is_object()) continue;
                    json::value copy = v;
                    if (auto r = set_checked(el.get_object()[ap.sub_def->name], std::move(copy),
                                             *ap.sub_def, shown);
                        !r)
                        return r;
                }
                return {};
            }
            if (!slot.is_object()) slot = json::object();
            return set_checked(slot.get_object()[ap.sub_def->name], std::move(v), *ap.sub_def,
                               shown);
        }

        if (auto r = normalize_value(v, def, compat, shown); !r) return r;
        auto* existing = root->if_contains(def.name);
        if (def.multi_valued) {
            if (replace || !existing || !existing->is_array()) {
                if (def.mutability == mutability::immutable && existing && *existing != v)
                    return mutability_error("attribute " + quoted(shown) + " is immutable");
                (*root)[def.name] = std::move(v);
                return {};
            }
            auto& arr = existing->get_array();
            std::vector<std::size_t> touched;
            for (auto& el : v.get_array()) {
                auto same = std::find(arr.begin(), arr.end(), el);
                if (same != arr.end()) {
                    touched.push_back(static_cast<std::size_t>(same - arr.begin()));
                    continue;  // adding a value that exists changes nothing
                }
                arr.push_back(std::move(el));
                touched.push_back(arr.size() - 1);
            }
            enforce_primary(arr, touched);
            return {};
        }
        if (def.type == attr_type::complex) {
            auto& slot = (*root)[def.name];
            if (slot.is_object() && !v.get_object().empty())
                return merge_complex(slot, std::move(v), def, shown);
            return set_checked(slot, std::move(v), def, shown);
        }
        auto& slot = (*root)[def.name];
        return set_checked(slot, std::move(v), def, shown);
    }

    /// Path-less add/replace: each member of the value object is an operation on that path.
    result<void> set_pathless(const patch_operation& op) {
        if (!op.value.is_object())
            return bad_value("an operation without \"path\" needs an object \"value\"");
        for (const auto& kv : op.value.get_object()) {
            if (const schema* ext = type.extension(kv.key())) {
                if (kv.value().is_null()) continue;
                if (!kv.value().is_object())
                    return bad_value("extension " + quoted(ext->id) + " must be an object");
                for (const auto& inner : kv.value().get_object()) {
                    std::string full = ext->id + ":" + std::string(inner.key());
                    if (auto r = set_key(op, full, inner.value()); !r) return r;
                }
                continue;
            }
            if (auto r = set_key(op, kv.key(), kv.value()); !r) return r;
        }
        return {};
    }

    result<void> set_key(const patch_operation& op, std::string_view key, const json::value& v) {
        auto parsed = parse_path(key, type);
        if (!parsed) return parsed.error();
        const attribute& def = *parsed->attr.attr_def;
        // RFC 7644 §3.3: readOnly values a client echoes back (Okta sends "id") are ignored.
        if (def.mutability == mutability::read_only) return {};
        if (parsed->attr.sub_def && parsed->attr.sub_def->mutability == mutability::read_only)
            return {};
        patch_operation sub_op;
        sub_op.op = op.op;
        sub_op.value = v;
        if (is_members(*parsed) && members) {
            if (parsed->value_filter || parsed->attr.sub_def)
                return error::bad_request(scim_type::invalid_path,
                                          "filtered member changes need a \"path\"");
            return members_op(sub_op, &*parsed);
        }
        if (v.is_null()) {
            if (op.op == patch_kind::replace) return remove_path(*parsed, json::value());
            return {};
        }
        return set_path(sub_op, *parsed);
    }

    // -- remove --

    result<void> remove_path(const patch_path& p, const json::value& value) {
        const attr_path& ap = p.attr;
        const attribute& def = *ap.attr_def;
        const attribute* tdef = target_def(p);
        const std::string shown = ap.to_string();
        if (auto r = check_writable(def, shown); !r) return r;
        if (tdef != &def)
            if (auto r = check_writable(*tdef, shown + "." + tdef->name); !r) return r;
        if (tdef->mutability == mutability::immutable)
            return mutability_error("attribute " + quoted(shown) + " is immutable");
        json::object* root = container(ap, false);
        json::value* slot = root ? root->if_contains(def.name) : nullptr;

        if (p.value_filter) {
            std::size_t hits = 0;
            if (slot && slot->is_array()) {
                auto& arr = slot->get_array();
                for (auto it = arr.begin(); it != arr.end();) {
                    auto* el = it->if_object();
                    if (!el || !matches(*p.value_filter, *el)) {
                        ++it;
                        continue;
                    }
                    ++hits;
                    if (p.sub.empty()) {
                        it = arr.erase(it);
                    } else {
                        el->erase(p.sub);
                        ++it;
                    }
                }
            }
            if (hits == 0 && !compat.idempotent_remove)
                return no_target("no value of " + quoted(shown) + " matches the filter");
        } else if (ap.sub_def) {
            if (slot && slot->is_object()) {
                slot->get_object().erase(ap.sub_def->name);
            } else if (slot && slot->is_array()) {
                for (auto& el : slot->get_array())
                    if (auto* o = el.if_object()) o->erase(ap.sub_def->name);
            }
        } else if (slot && def.multi_valued && value.is_array() && !value.get_array().empty() &&
                   compat.remove_members_by_value_list && slot->is_array()) {
            // Entra: {"op":"Remove","path":"emails","value":[{"value":"x"}]} removes those values.
            auto& arr = slot->get_array();
            for (const auto& gone : value.get_array()) {
                const json::value* gone_value =
                    gone.is_object() ? member_ci(gone.get_object(), "value") : &gone;
                for (auto it = arr.begin(); it != arr.end();) {
                    const json::value* have =
                        it->is_object() ? it->get_object().if_contains("value") : &*it;
                    if (have && gone_value && *have == *gone_value)
                        it = arr.erase(it);
                    else
                        ++it;
                }
            }
        } else if (root) {
            root->erase(def.name);
        }
        // Leave no empty shells behind: they would read back as present-but-empty.
        if (root) {
            if (auto* s = root->if_contains(def.name)) {
                if (s->is_array()) {
                    auto& arr = s->get_array();
                    for (auto it = arr.begin(); it != arr.end();) {
                        if (it->is_object() && it->get_object().empty())
                            it = arr.erase(it);
                        else
                            ++it;
                    }
                }
                if ((s->is_array() && s->get_array().empty()) ||
                    (s->is_object() && s->get_object().empty()))
                    root->erase(def.name);
            }
            if (ap.in_extension && root->empty()) res.erase(ap.urn);
        }
        return {};
    }

    result<void> apply(const patch_operation& op) {
        if (!op.path) {
            if (op.op == patch_kind::remove)
                return no_target("a \"remove\" operation needs a \"path\"");
            return set_pathless(op);
        }
        const patch_path& p = *op.path;
        if (is_members(p) && members && p.sub.empty() && !p.attr.sub_def) return members_op(op, &p);
        if (op.op == patch_kind::remove) return remove_path(p, op.value);
        if (!p.value_filter && !p.attr.sub_def && op.value.is_null() &&
            op.op == patch_kind::replace)
            return remove_path(p, op.value);
        return set_path(op, p);
    }
};

}  // namespace

result<patch_request> parse_patch(const json::value& body,
                                  const resource_type& type,
                                  const compat_options& compat) {
    const auto* o = body.if_object();
    if (!o) return syntax("the PATCH body must be a JSON object");
    const auto* schemas = member_ci(*o, "schemas");
    bool has_urn = false;
    if (schemas && schemas->is_array())
        for (const auto& s : schemas->get_array())
            if (s.is_string() && iequals(s.get_string(), patch_op_urn)) has_urn = true;
    if (!has_urn) return syntax("\"schemas\" must be [\"" + std::string(patch_op_urn) + "\"]");
    const auto* ops = member_ci(*o, "Operations");
    if (!ops || !ops->is_array() || ops->get_array().empty())
        return syntax("\"Operations\" must be a non-empty array");
    patch_request req;
    req.operations.reserve(ops->get_array().size());
    std::size_t index = 0;
    for (const auto& item : ops->get_array()) {
        ++index;
        const std::string where = "operation " + std::to_string(index) + ": ";
        const auto* op = item.if_object();
        if (!op) return syntax(where + "must be an object");
        const auto* name = member_ci(*op, "op");
        if (!name || !name->is_string()) return syntax(where + "\"op\" is missing");
        const std::string_view n = name->get_string();
        patch_operation out;
        auto is = [&](std::string_view want) {
            return compat.case_insensitive_ops ? iequals(n, want) : n == want;
        };
        if (is("add"))
            out.op = patch_kind::add;
        else if (is("replace"))
            out.op = patch_kind::replace;
        else if (is("remove"))
            out.op = patch_kind::remove;
        else
            return syntax(where + "unknown op " + quoted(n) +
                          " (expected \"add\", \"replace\" or \"remove\")");
        if (const auto* v = member_ci(*op, "value")) out.value = *v;
        const auto* path = member_ci(*op, "path");
        if (path && !path->is_null()) {
            if (!path->is_string()) return syntax(where + "\"path\" must be a string");
            std::string_view text = path->get_string();
            while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
            while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
            if (const schema* ext = type.extension(text)) {
                // path = an extension URN: its value holds the extension's attributes, which is
                // a path-less operation on {URN: value}.
                json::object wrapped;
                wrapped[ext->id] = std::move(out.value);
                out.value = std::move(wrapped);
                if (out.op == patch_kind::remove)
                    return error::bad_request(scim_type::invalid_path,
                                              where +
                                                  "remove the extension's attributes by "
                                                  "their paths");
            } else {
                auto pp = parse_path(text, type);
                if (!pp) {
                    auto e = pp.error();
                    e.detail = where + e.detail;
                    return e;
                }
                out.path = std::move(*pp);
            }
        }
        if (out.op != patch_kind::remove && !member_ci(*op, "value"))
            return bad_value(where + "\"value\" is required for " + std::string(n));
        req.operations.push_back(std::move(out));
    }
    return req;
}

bool needs_member_list(const patch_request& req) {
    for (const auto& op : req.operations) {
        if (!op.path || !is_members(*op.path)) continue;
        const auto& p = *op.path;
        if (!p.sub.empty() || p.attr.sub_def) return true;
        if (!p.value_filter) continue;
        if (op.op != patch_kind::remove || !simple_member_filter(*p.value_filter)) return true;
    }
    return false;
}

result<void> apply_patch(json::object& resource,
                         const patch_request& req,
                         const resource_type& type,
                         const compat_options& compat,
                         member_delta* members) {
    json::object work = resource;
    applier a{work, type, compat, members, {}};
    for (const auto& op : req.operations)
        if (auto r = a.apply(op); !r) return r;
    // RFC 7644 §3.5.2.2: a required attribute that is removed or becomes unassigned is a
    // mutability error (validate_resource() alone would call it invalidValue).
    if (type.core) {
        auto assigned = [](const json::object& o, std::string_view n) {
            const auto* v = o.if_contains(n);
            return v && !v->is_null() && !(v->is_string() && v->get_string().empty());
        };
        for (const auto& attr : type.core->attributes)
            if (attr.required && assigned(resource, attr.name) && !assigned(work, attr.name))
                return mutability_error("attribute " + quoted(attr.name) +
                                        " is required and cannot be removed");
    }
    if (auto r = validate_resource(work, type, compat, validation_mode::patched); !r) return r;
    resource = std::move(work);
    if (members && a.delta.touched()) {
        if (a.delta.clear_all) {
            members->clear_all = true;
            members->add.clear();
            members->remove.clear();
        }
        for (auto& id : a.delta.remove) {
            std::erase(members->add, id);
            members->remove.push_back(std::move(id));
        }
        for (auto& id : a.delta.add) {
            std::erase(members->remove, id);
            members->add.push_back(std::move(id));
        }
    }
    return {};
}

}  // namespace orgscim::scim
