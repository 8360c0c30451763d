// Dispatch below the SCIM base and the per-resource operations (RFC 7644 §3.2–§3.6).

#include <boost/json.hpp>
#include <charconv>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/json.hpp>
#include <orgscim/scim/patch.hpp>
#include <orgscim/scim/service.hpp>
#include <orgscim/scim/validate.hpp>

#include "service_impl.hpp"

namespace orgscim::scim {

using namespace detail;

error to_scim_error(store_errc e, std::string_view what) {
    switch (e) {
        case store_errc::conflict:
            return error::conflict(std::string(what) + " already exists with this unique value");
        case store_errc::not_found:
            return error::not_found(std::string(what) + " not found");
        case store_errc::version_mismatch:
            return error::precondition_failed("the resource changed: its version is not " +
                                              std::string("the one in If-Match"));
        case store_errc::bad_reference:
            return error::bad_request(scim_type::invalid_value,
                                      "a member references a resource that does not exist");
        case store_errc::unavailable:
            return error::unavailable("storage is temporarily unavailable, retry later");
        case store_errc::aborted:
        case store_errc::internal:
            break;
    }
    return error::internal();
}

service::service(const config& cfg, const schema_registry& registry, resource_store& store)
    : impl_(std::make_unique<impl>(impl{cfg, registry, store, {}})) {}

service::~service() = default;

bool service::is_discovery(std::string_view path) noexcept {
    auto seg = path.substr(path.starts_with('/') ? 1 : 0);
    seg = seg.substr(0, seg.find('/'));
    return iequals(seg, "ServiceProviderConfig") || iequals(seg, "ResourceTypes") ||
           iequals(seg, "Schemas");
}

void service::set_write_hook(operation_hook hook) { impl_->write_hook = std::move(hook); }

void service::staged_write::store() {
    hooked_.reset();
    outcome_.reset();
    if (hook_) {
        if (auto r = hook_()) {
            hooked_ = std::move(r);
            return;
        }
    }
    if (!answered_) outcome_ = call_();
}

const resource_record* service::staged_write::written() const noexcept {
    return outcome_ && *outcome_ ? &**outcome_ : nullptr;
}

response service::staged_write::answer() {
    if (hooked_) return std::move(*hooked_);
    if (answered_) return std::move(*answered_);
    if (!outcome_) return detail::error_response(error::internal());  // store() never ran
    return render_(std::move(*outcome_));
}

std::optional<service::staged_write> service::stage(const request& req, const caller& who) const {
    return impl_->stage(req, who);
}

response service::handle(const request& req, const caller& who) const {
    return impl_->dispatch(req, who);
}

namespace {

bool is_write(std::string_view method) {
    return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

std::optional<error> check_content_type(const request& req) {
    auto ct = req.header("content-type");
    if (!ct || ct->empty()) return std::nullopt;
    auto base = ct->substr(0, ct->find(';'));
    while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
    if (iequals(base, "application/scim+json") || iequals(base, "application/json")) {
        return std::nullopt;
    }
    return error{415, scim_type::none,
                 "Content-Type must be application/scim+json or application/json"};
}

std::optional<std::int64_t> to_int(std::string_view s) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// If-Match: nullopt when absent or "*"; an error when present but unusable.
result<std::optional<std::uint64_t>> if_match(const request& req) {
    auto h = req.header("if-match");
    if (!h || *h == "*") return std::optional<std::uint64_t>{};
    auto v = parse_etag(*h);
    if (!v) return error::precondition_failed("If-Match does not name a version of this resource");
    return std::optional<std::uint64_t>{*v};
}

// Parses a body that must be a JSON object.
result<boost::json::object> body_object(const request& req, const config& cfg) {
    if (auto e = check_content_type(req)) return *e;
    auto v = parse_json(req.body, cfg.max_json_depth);
    if (!v) return v.error();
    if (!v->is_object()) {
        return error::bad_request(scim_type::invalid_syntax, "the body must be a JSON object");
    }
    return std::move(v->as_object());
}

// `schemas` must list the core schema and only schemas of this resource type (RFC 7643 §3).
result<void> check_schemas(boost::json::object& body, const resource_type& t) {
    auto* s = body.if_contains("schemas");
    if (!s) {
        return error::bad_request(scim_type::invalid_syntax,
                                  "\"schemas\" is required and must list " + t.core->id);
    }
    if (!s->is_array()) {
        return error::bad_request(scim_type::invalid_syntax, "\"schemas\" must be an array");
    }
    bool core = false;
    for (const auto& u : s->as_array()) {
        if (!u.is_string()) {
            return error::bad_request(scim_type::invalid_syntax,
                                      "\"schemas\" must contain strings only");
        }
        std::string_view urn = u.as_string();
        if (iequals(urn, t.core->id)) {
            core = true;
        } else if (!t.extension(urn)) {
            return error::bad_request(scim_type::invalid_syntax,
                                      "\"schemas\" names \"" + std::string(urn) +
                                          "\", which is not a schema of " + t.name);
        }
    }
    if (!core) {
        return error::bad_request(scim_type::invalid_syntax, "\"schemas\" must list " + t.core->id);
    }
    body.erase("schemas");
    return {};
}

bool has_members(const resource_type& t) { return t.core->find("members") != nullptr; }

// RFC 7643 §2.2: an immutable attribute may be set once, never changed (PUT keeps it equal).
result<void> check_immutable(const boost::json::object& current,
                             const boost::json::object& next,
                             const schema& s,
                             const boost::json::object* cur_level = nullptr,
                             const boost::json::object* next_level = nullptr) {
    const auto& cur = cur_level ? *cur_level : current;
    const auto& nxt = next_level ? *next_level : next;
    for (const auto& a : s.attributes) {
        if (a.mutability != mutability::immutable) continue;
        const auto* before = cur.if_contains(a.name);
        if (!before || before->is_null()) continue;
        const auto* after = nxt.if_contains(a.name);
        if (!after || *after != *before) {
            return error::bad_request(scim_type::mutability,
                                      "\"" + a.name + "\" is immutable and cannot be changed");
        }
    }
    return {};
}

result<void> check_immutable(const boost::json::object& current,
                             const boost::json::object& next,
                             const resource_type& t) {
    if (auto r = check_immutable(current, next, *t.core); !r) return r;
    for (const auto& ext : t.extensions) {
        const auto* c = current.if_contains(ext.ext->id);
        if (!c || !c->is_object()) continue;
        static const boost::json::object empty;
        const auto* n = next.if_contains(ext.ext->id);
        const auto& nobj = n && n->is_object() ? n->as_object() : empty;
        if (auto r = check_immutable(current, next, *ext.ext, &c->as_object(), &nobj); !r) {
            return r;
        }
    }
    return {};
}

// Takes `members` out of a Group body: the ids, each checked for shape.
result<std::vector<std::string>> take_members(boost::json::object& body) {
    std::vector<std::string> ids;
    auto it = body.find("members");
    if (it == body.end()) {
        for (auto i = body.begin(); i != body.end(); ++i) {
            if (iequals(i->key(), "members")) it = i;
        }
    }
    if (it == body.end()) return ids;
    if (it->value().is_null()) {
        body.erase(it);
        return ids;
    }
    if (!it->value().is_array()) {
        return error::bad_request(scim_type::invalid_value, "\"members\" must be an array");
    }
    for (const auto& m : it->value().as_array()) {
        const boost::json::value* v = m.is_object() ? m.as_object().if_contains("value") : nullptr;
        if (!v || !v->is_string() || v->as_string().empty()) {
            return error::bad_request(scim_type::invalid_value,
                                      "every member needs a \"value\" with the member's id");
        }
        ids.emplace_back(v->as_string());
    }
    body.erase(it);
    return ids;
}

}  // namespace

namespace {

// "/Users/42/" -> ("Users", "42"): the endpoint and what follows it.
std::pair<std::string_view, std::string_view> split_path(std::string_view path) {
    if (path.starts_with('/')) path.remove_prefix(1);
    while (path.ends_with('/')) path.remove_suffix(1);
    const auto slash = path.find('/');
    return {path.substr(0, slash),
            slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1)};
}

}  // namespace

// The single-resource POST, PUT and PATCH (to a resource endpoint, of one resource): dispatch()
// serves them through here once it has checked the caller, and hosts split them (every other
// request is handle()'s whole).
std::optional<service::staged_write> service::impl::stage(const request& req,
                                                          const caller& who) const {
    const bool post = req.method == "POST";
    if (!post && req.method != "PUT" && req.method != "PATCH") return std::nullopt;
    if (!who.can_write) return std::nullopt;
    const auto [first, rest] = split_path(req.path);
    const resource_type* t = first.empty() ? nullptr : reg.find_by_endpoint(first);
    if (!t || rest == ".search" || rest.find('/') != std::string_view::npos) return std::nullopt;
    if (post != rest.empty()) return std::nullopt;
    auto s = post ? stage_create(req, who, *t)
                  : (req.method == "PUT" ? stage_replace(req, who, *t, rest)
                                         : stage_patch(req, who, *t, rest));
    // The hook answers before anything parsed is looked at, inside the store call's unit of
    // work: store() asks it first.
    if (write_hook) s.hook_ = [this, &req, &who] { return write_hook(req, who); };
    return s;
}

response service::impl::dispatch(const request& req, const caller& who) const {
    const auto [first, rest] = split_path(req.path);

    if (service::is_discovery(first)) {
        if (req.method != "GET") return error_response(error::not_implemented("use GET"));
        return discovery(req);
    }
    if (!who.can_read && !who.can_write) {
        return error_response(error::forbidden("this credential has no SCIM permissions"));
    }
    bool search =
        req.method == "POST" && (first == ".search" || (!rest.empty() && rest == ".search"));
    if (is_write(req.method) && !search && !who.can_write) {
        return error_response(error::forbidden("this credential may only read"));
    }
    if (!is_write(req.method) || search) {
        if (!who.can_read) return error_response(error::forbidden("this credential may not read"));
    } else if (auto staged = stage(req, who)) {
        // A single-resource POST, PUT or PATCH: the same staged write a host may split across
        // threads, run at once (store() asks the write hook first).
        staged->store();
        return staged->answer();
    } else if (write_hook) {
        if (auto served = write_hook(req, who)) return std::move(*served);
    }
    if (first == ".search") {
        if (req.method != "POST") return error_response(error::not_implemented("use POST"));
        auto p = search_body(req);
        if (!p) return error_response(p.error());
        return search_root(req, who, *p);
    }
    if (iequals(first, "Bulk")) {
        if (req.method != "POST") return error_response(error::not_implemented("use POST"));
        return bulk(req, who);
    }
    const resource_type* t = reg.find_by_endpoint(first);
    if (!t || first.empty()) {
        return error_response(error::not_found("no such endpoint: /" + std::string(first)));
    }
    if (rest.empty()) {
        if (req.method == "GET") return list(req, who, *t, query_params(req));
        return error_response(error::not_implemented(req.method + " is not supported here"));
    }
    if (rest == ".search") {
        if (req.method != "POST") return error_response(error::not_implemented("use POST"));
        auto p = search_body(req);
        if (!p) return error_response(p.error());
        return list(req, who, *t, *p);
    }
    if (rest.find('/') != std::string_view::npos) {
        return error_response(error::not_found("no such resource"));
    }
    if (req.method == "GET") return get_one(req, who, *t, rest);
    if (req.method == "DELETE") return remove(req, who, *t, rest);
    return error_response(error::not_implemented(req.method + " is not supported here"));
}

response service::impl::get_one(const request& req,
                                const caller& who,
                                const resource_type& t,
                                std::string_view id) const {
    auto proj = parse_projection(req.param("attributes").value_or(""),
                                 req.param("excludedAttributes").value_or(""), t);
    if (!proj) return error_response(proj.error());
    auto rec = store.get(who.tenant, t, id, fetch_for(*proj, t));
    if (!rec) return error_response(to_scim_error(rec.error(), t.name));
    if (auto inm = req.header("if-none-match")) {
        if (*inm == "*" || parse_etag(*inm) == rec->meta.version) {
            response r;
            r.status = 304;
            r.headers.emplace_back("ETag", etag(rec->meta.version));
            return r;
        }
    }
    return resource_response(200, std::move(*rec), t, req, *proj);
}

detail::list_params service::impl::query_params(const request& req) const {
    list_params p;
    p.filter = req.param("filter").value_or("");
    p.sort_by = req.param("sortBy").value_or("");
    p.descending = iequals(req.param("sortOrder").value_or(""), "descending");
    if (auto s = req.param("startIndex")) p.start_index = to_int(*s).value_or(1);
    if (auto c = req.param("count")) p.count = to_int(*c).value_or(cfg.default_count);
    p.attributes = req.param("attributes").value_or("");
    p.excluded = req.param("excludedAttributes").value_or("");
    return p;
}

result<detail::list_params> service::impl::search_body(const request& req) const {
    auto body = body_object(req, cfg);
    if (!body) return body.error();
    list_params p;
    auto str = [&](std::string_view key, std::string& out) -> result<void> {
        auto* v = body->if_contains(key);
        if (!v || v->is_null()) return {};
        if (v->is_string()) {
            out = v->as_string();
            return {};
        }
        if (v->is_array()) {  // attributes may be given as an array of names
            for (const auto& e : v->as_array()) {
                if (!e.is_string()) break;
                if (!out.empty()) out += ',';
                out += e.as_string();
            }
            return {};
        }
        return error::bad_request(scim_type::invalid_value,
                                  "\"" + std::string(key) + "\" has the wrong type");
    };
    auto num = [&](std::string_view key) -> result<std::optional<std::int64_t>> {
        auto* v = body->if_contains(key);
        if (!v || v->is_null()) return std::optional<std::int64_t>{};
        if (v->is_int64()) return std::optional<std::int64_t>{v->as_int64()};
        if (v->is_uint64())
            return std::optional<std::int64_t>{
                static_cast<std::int64_t>(std::min<std::uint64_t>(v->as_uint64(), INT64_MAX))};
        return error::bad_request(scim_type::invalid_value,
                                  "\"" + std::string(key) + "\" must be an integer");
    };
    std::string order;
    for (auto r : {str("filter", p.filter), str("sortBy", p.sort_by), str("sortOrder", order),
                   str("attributes", p.attributes), str("excludedAttributes", p.excluded)}) {
        if (!r) return r.error();
    }
    p.descending = iequals(order, "descending");
    auto si = num("startIndex");
    if (!si) return si.error();
    if (*si) p.start_index = **si;
    auto c = num("count");
    if (!c) return c.error();
    p.count = *c;
    return p;
}

namespace {

boost::json::object list_body(std::int64_t total, std::int64_t start, boost::json::array items) {
    boost::json::object body;
    body["schemas"] = boost::json::array{boost::json::string(list_response_urn)};
    body["totalResults"] = total;
    body["itemsPerPage"] = static_cast<std::int64_t>(items.size());
    body["startIndex"] = start;
    body["Resources"] = std::move(items);
    return body;
}

}  // namespace

// Parses and binds a filter; a null pointer for an empty text.
result<filter_ptr> service::impl::bound_filter(std::string_view text,
                                               const resource_type& t) const {
    if (text.empty()) return filter_ptr{};
    filter_limits limits;
    limits.max_length = cfg.max_filter_length;
    auto parsed = parse_filter(text, limits);
    if (!parsed) return parsed.error();
    if (auto b = bind(**parsed, t); !b) return b.error();
    return std::move(*parsed);
}

// One store page of type `t`, appended to `items` in wire form; returns the type's total.
result<std::int64_t> service::impl::collect(const request& req,
                                            const caller& who,
                                            const resource_type& t,
                                            list_request& lr,
                                            const list_params& p,
                                            boost::json::array& items) const {
    auto proj = parse_projection(p.attributes, p.excluded, t);
    if (!proj) return proj.error();
    lr.fetch = fetch_for(*proj, t);
    auto res = store.list(who.tenant, t, lr);
    if (!res) return to_scim_error(res.error(), t.name);
    for (auto& r : res->items) {
        auto w = to_wire(std::move(r), t, req.base_url);
        apply_projection(w, t, *proj);
        items.emplace_back(std::move(w));
    }
    return {boost::system::in_place_value, res->total};
}

response service::impl::list(const request& req,
                             const caller& who,
                             const resource_type& t,
                             const list_params& p) const {
    auto f = bound_filter(p.filter, t);
    if (!f) return error_response(f.error());
    list_request lr;
    lr.filter = f->get();
    if (!p.sort_by.empty()) {
        auto sp = parse_attr_path(p.sort_by);
        if (!sp) return error_response(sp.error());
        if (auto b = bind(*sp, t, scim_type::invalid_path); !b) return error_response(b.error());
        lr.sort_by = std::move(*sp);
        lr.descending = p.descending;
    }
    auto [start, count] = window(p);
    lr.offset = start - 1;
    lr.limit = count;
    boost::json::array items;
    items.reserve(static_cast<std::size_t>(count));
    auto total = collect(req, who, t, lr, p, items);
    if (!total) return error_response(total.error());
    return json_response(200, list_body(*total, start, std::move(items)));
}

response service::impl::search_root(const request& req,
                                    const caller& who,
                                    const list_params& p) const {
    // Root search spans every resource type the filter applies to, in registry order; a filter
    // naming an attribute of one type only simply matches nothing in the others.
    auto [start, count] = window(p);
    std::int64_t skip = start - 1, total = 0;
    boost::json::array items;
    std::optional<error> first_error;
    bool any_bound = false;
    if (!p.filter.empty()) {  // a syntax error is an error whatever the type
        filter_limits limits;
        limits.max_length = cfg.max_filter_length;
        if (auto parsed = parse_filter(p.filter, limits); !parsed) {
            return error_response(parsed.error());
        }
    }
    for (const auto& tp : reg.resource_types()) {
        auto f = bound_filter(p.filter, *tp);
        if (!f) {
            if (!first_error) first_error = f.error();
            continue;
        }
        any_bound = true;
        list_request lr;
        lr.filter = f->get();
        lr.offset = skip;
        lr.limit = std::max<std::int64_t>(0, count - static_cast<std::int64_t>(items.size()));
        auto n = collect(req, who, *tp, lr, p, items);
        if (!n) return error_response(n.error());
        total += *n;
        skip = std::max<std::int64_t>(0, skip - *n);
    }
    if (!any_bound && first_error) return error_response(*first_error);
    return json_response(200, list_body(total, start, std::move(items)));
}

detail::page_window service::impl::window(const list_params& p) const {
    return {std::max<std::int64_t>(1, p.start_index),
            std::clamp<std::int64_t>(p.count.value_or(cfg.default_count), 0, cfg.max_results)};
}

service::staged_write service::impl::refuse(const error& e) {
    staged_write s;
    s.answered_ = error_response(e);
    return s;
}

namespace {

// A failed update's answer: the service's own verdict when it refused the change inside the
// store call (the store then reports `aborted`), else the store's outcome.
response update_failure(store_errc e, const std::optional<error>& refused, const resource_type& t) {
    if (e == store_errc::aborted && refused) return error_response(*refused);
    return error_response(to_scim_error(e, t.name));
}

}  // namespace

service::staged_write service::impl::stage_create(const request& req,
                                                  const caller& who,
                                                  const resource_type& t) const {
    auto body = body_object(req, cfg);
    if (!body) return refuse(body.error());
    if (auto c = check_schemas(*body, t); !c) return refuse(c.error());
    write_set ws;
    if (has_members(t)) {
        auto ids = take_members(*body);
        if (!ids) return refuse(ids.error());
        ws.add_members = std::move(*ids);
    }
    if (auto v = validate_resource(*body, t, cfg.compat, validation_mode::create); !v) {
        return refuse(v.error());
    }
    ws.attrs = std::move(*body);
    auto proj = parse_projection(req.param("attributes").value_or(""),
                                 req.param("excludedAttributes").value_or(""), t);
    if (!proj) return refuse(proj.error());
    staged_write s;
    s.call_ = [this, tenant = who.tenant, &t, ws = std::move(ws)] {
        return store.create(tenant, t, ws);
    };
    s.render_ = [&req, &t, p = std::move(*proj)](store_result<resource_record>&& rec) {
        if (!rec) return error_response(to_scim_error(rec.error(), t.name));
        return resource_response(201, std::move(*rec), t, req, p);
    };
    return s;
}

service::staged_write service::impl::stage_replace(const request& req,
                                                   const caller& who,
                                                   const resource_type& t,
                                                   std::string_view id) const {
    auto body = body_object(req, cfg);
    if (!body) return refuse(body.error());
    if (auto c = check_schemas(*body, t); !c) return refuse(c.error());
    auto match = if_match(req);
    if (!match) return refuse(match.error());
    write_set ws;
    if (has_members(t)) {
        // PUT is a full replace (RFC 7644 §3.5.1): members left out means no members.
        auto ids = take_members(*body);
        if (!ids) return refuse(ids.error());
        ws.clear_members = true;
        ws.add_members = std::move(*ids);
    }
    if (auto v = validate_resource(*body, t, cfg.compat, validation_mode::replace); !v) {
        return refuse(v.error());
    }
    ws.attrs = std::move(*body);
    auto proj = parse_projection(req.param("attributes").value_or(""),
                                 req.param("excludedAttributes").value_or(""), t);
    if (!proj) return refuse(proj.error());
    // The store's verdict on an immutable attribute, which the response then names.
    auto refused = std::make_shared<std::optional<error>>();
    staged_write s;
    s.call_ = [this, tenant = who.tenant, &t, id = std::string(id), match = *match,
               fetch = fetch_for(*proj, t), ws = std::move(ws), refused] {
        refused->reset();
        return store.update(tenant, t, id, match, fetch,
                            [&](const resource_record& current) -> result<write_set> {
                                if (auto c = check_immutable(current.attrs, ws.attrs, t); !c) {
                                    *refused = c.error();
                                    return c.error();
                                }
                                return ws;
                            });
    };
    s.render_ = [&req, &t, p = std::move(*proj), refused](store_result<resource_record>&& rec) {
        if (!rec) return update_failure(rec.error(), *refused, t);
        return resource_response(200, std::move(*rec), t, req, p);
    };
    return s;
}

service::staged_write service::impl::stage_patch(const request& req,
                                                 const caller& who,
                                                 const resource_type& t,
                                                 std::string_view id) const {
    auto body = body_object(req, cfg);
    if (!body) return refuse(body.error());
    auto ops = parse_patch(boost::json::value(std::move(*body)), t, cfg.compat);
    if (!ops) return refuse(ops.error());
    auto match = if_match(req);
    if (!match) return refuse(match.error());
    auto attrs_param = req.param("attributes").value_or("");
    auto excluded_param = req.param("excludedAttributes").value_or("");
    auto proj = parse_projection(attrs_param, excluded_param, t);
    if (!proj) return refuse(proj.error());

    const bool group = has_members(t);
    const bool whole_list = group && needs_member_list(*ops);
    // Entra and the RFC both accept 204 for a Group PATCH; echoing a huge member list is waste.
    const bool echo = !group || !attrs_param.empty() || !excluded_param.empty();
    fetch_options fetch = echo ? fetch_for(*proj, t) : fetch_options{false, false};
    if (whole_list) fetch.members = true;

    auto refused = std::make_shared<std::optional<error>>();
    // Shared: the operations only move (std::function copies).
    auto operations = std::make_shared<std::decay_t<decltype(*ops)>>(std::move(*ops));
    staged_write s;
    s.call_ = [this, tenant = who.tenant, &t, id = std::string(id), match = *match, fetch,
               ops = std::move(operations), group, whole_list, refused] {
        refused->reset();
        return store.update(
            tenant, t, id, match, fetch, [&](const resource_record& current) -> result<write_set> {
                write_set ws;
                ws.attrs = current.attrs;
                if (whole_list) {
                    boost::json::array members;
                    for (const auto& m : current.members) {
                        members.emplace_back(
                            boost::json::object{{"value", m.value}, {"type", m.type}});
                    }
                    ws.attrs["members"] = std::move(members);
                    if (auto a = apply_patch(ws.attrs, *ops, t, cfg.compat, nullptr); !a) {
                        *refused = a.error();
                        return a.error();
                    }
                    auto ids = take_members(ws.attrs);
                    if (!ids) {
                        *refused = ids.error();
                        return ids.error();
                    }
                    ws.clear_members = true;
                    ws.add_members = std::move(*ids);
                    return ws;
                }
                member_delta delta;
                if (auto a = apply_patch(ws.attrs, *ops, t, cfg.compat, group ? &delta : nullptr);
                    !a) {
                    *refused = a.error();
                    return a.error();
                }
                ws.clear_members = delta.clear_all;
                ws.add_members = std::move(delta.add);
                ws.remove_members = std::move(delta.remove);
                return ws;
            });
    };
    s.render_ = [&req, &t, p = std::move(*proj), refused,
                 echo](store_result<resource_record>&& rec) {
        if (!rec) return update_failure(rec.error(), *refused, t);
        if (!echo) {
            response r;
            r.status = 204;
            r.headers.emplace_back("ETag", etag(rec->meta.version));
            return r;
        }
        return resource_response(200, std::move(*rec), t, req, p);
    };
    return s;
}

response service::impl::remove(const request& req,
                               const caller& who,
                               const resource_type& t,
                               std::string_view id) const {
    auto match = if_match(req);
    if (!match) return error_response(match.error());
    auto r = store.remove(who.tenant, t, id, *match);
    if (!r) return error_response(to_scim_error(r.error(), t.name));
    response out;
    out.status = 204;
    return out;
}

}  // namespace orgscim::scim
