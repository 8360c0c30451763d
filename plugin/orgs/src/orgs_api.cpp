#include <algorithm>
#include <boost/json/serialize.hpp>
#include <limits>
#include <orgscim/plugin/audit/events.hpp>
#include <orgscim/plugin/orgs/orgs_api.hpp>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/json.hpp>
#include <orgscim/scim/service.hpp>
#include <orgscim/scim/store.hpp>

namespace orgscim::plugin::orgs {

namespace json = boost::json;
using scim::resource_record;
using scim::store_errc;

namespace {

scim::attribute attr(std::string name,
                     scim::attr_type t,
                     scim::mutability m,
                     std::string description,
                     bool required = false) {
    scim::attribute a;
    a.name = std::move(name);
    a.type = t;
    a.mutability = m;
    a.required = required;
    a.case_exact = t == scim::attr_type::string && a.name != "name";
    a.description = std::move(description);
    return a;
}

scim::response error_response(const scim::error& e) {
    scim::response r;
    r.status = e.status;
    r.set_header("Content-Type", std::string(scim::scim_content_type));
    r.body = scim::to_body(e);
    return r;
}

scim::response json_response(int status, const json::value& body) {
    scim::response r;
    r.status = status;
    r.set_header("Content-Type", std::string(scim::scim_content_type));
    r.body = json::serialize(body);
    return r;
}

scim::response no_content() {
    scim::response r;
    r.status = 204;
    return r;
}

resource_record org_record(const org_node& o) {
    resource_record r;
    r.id = o.id;
    r.attrs["name"] = o.name;
    if (o.parent_id) r.attrs["parent"] = *o.parent_id;
    r.attrs["status"] = o.status;
    if (o.managed_by) r.attrs["managedBy"] = *o.managed_by;
    if (!o.settings.empty()) r.attrs["settings"] = o.settings;
    json::array anc;
    for (const auto& a : o.ancestors) anc.emplace_back(a);
    if (!anc.empty()) r.attrs["ancestors"] = std::move(anc);
    r.meta = {o.created_ms, o.modified_ms, o.version};
    return r;
}

std::optional<std::string> opt_string(const json::object& o, std::string_view k) {
    if (auto* v = o.if_contains(k); v && v->is_string()) return std::string(v->get_string());
    return std::nullopt;
}

// Copies the client-writable attributes onto `o`.
void apply_attrs(org_node& o, const json::object& a) {
    o.name = opt_string(a, "name").value_or("");
    o.parent_id = opt_string(a, "parent");
    o.status = opt_string(a, "status").value_or("active");
    o.managed_by = opt_string(a, "managedBy");
    o.settings.clear();
    if (auto* s = a.if_contains("settings"); s && s->is_object()) o.settings = s->get_object();
}

// The view of a record that scim::matches() evaluates: attributes plus id and meta.
json::object wire_of(const resource_record& r, std::string_view type_name) {
    json::object w = r.attrs;
    w["id"] = r.id;
    w["meta"] = json::object{{"resourceType", type_name},
                             {"created", audit::format_time(r.meta.created_ms)},
                             {"lastModified", audit::format_time(r.meta.modified_ms)}};
    return w;
}

// Filter, sort and page an in-memory list (orgs visible to a caller, an org's events).
scim::store_result<scim::list_result> page(std::vector<resource_record> all,
                                           std::string_view type_name,
                                           const scim::list_request& req) {
    std::vector<resource_record> kept;
    for (auto& r : all) {
        if (req.filter && !scim::matches(*req.filter, wire_of(r, type_name))) continue;
        kept.push_back(std::move(r));
    }
    if (req.sort_by) {
        const std::string key = req.sort_by->attr;
        auto text = [&](const resource_record& r) -> std::string {
            if (key == "id") return r.id;
            if (key == "meta") return audit::format_time(r.meta.created_ms);
            const auto* v = r.attrs.if_contains(key);
            if (!v) return {};
            if (v->is_string()) return std::string(v->get_string());
            return json::serialize(*v);
        };
        std::stable_sort(kept.begin(), kept.end(),
                         [&](const resource_record& a, const resource_record& b) {
                             return req.descending ? text(b) < text(a) : text(a) < text(b);
                         });
    }
    scim::list_result out;
    out.total = static_cast<std::int64_t>(kept.size());
    const auto begin = std::min<std::int64_t>(req.offset, out.total);
    const auto end = std::min<std::int64_t>(begin + req.limit, out.total);
    for (auto i = begin; i < end; ++i) out.items.push_back(std::move(kept[i]));
    return out;
}

// The resource_store the inner scim::service runs on for one request: Organizations and Events
// backed by the directory service, authorized as `who`. Rule violations come back to the
// service as store_errc::aborted; the specific error waits in `refusal` for orgs_api to answer.
class org_resources final : public scim::resource_store {
  public:
    org_resources(directory_service& svc, const actor& who, std::string context, bool cascade)
        : svc_(svc), who_(who), context_(std::move(context)), cascade_(cascade) {}

    std::optional<scim::error> refusal;

    scim::store_result<resource_record> get(std::string_view,
                                            const scim::resource_type& type,
                                            std::string_view id,
                                            const scim::fetch_options&) override {
        if (type.id == "Event") {
            auto all = events();
            if (!all) return all.error();
            for (auto& r : *all) {
                if (r.id == id) return std::move(r);
            }
            return store_errc::not_found;
        }
        auto o = svc_.get_org(who_, id);
        if (!o) return refuse(o.error());
        return org_record(*o);
    }

    scim::store_result<scim::list_result> list(std::string_view,
                                               const scim::resource_type& type,
                                               const scim::list_request& req) override {
        if (type.id == "Event") {
            if (!req.filter && !req.sort_by) {
                // Straight to the store's paging: the log can be long.
                auto p = svc_.events(who_, context_, req.offset, req.limit);
                if (!p) return refuse(p.error());
                scim::list_result out;
                out.total = p->total;
                for (const auto& e : p->items) out.items.push_back(event_record_of(e));
                return out;
            }
            auto all = events();
            if (!all) return all.error();
            return page(std::move(*all), "Event", req);
        }
        auto orgs = svc_.visible_orgs(who_);
        if (!orgs) return refuse(orgs.error());
        std::vector<resource_record> all;
        for (const auto& o : *orgs) all.push_back(org_record(o));
        return page(std::move(all), "Organization", req);
    }

    scim::store_result<resource_record> create(std::string_view,
                                               const scim::resource_type& type,
                                               const scim::write_set& initial) override {
        if (type.id == "Event") return refuse(read_only());
        org_node draft;
        apply_attrs(draft, initial.attrs);
        if (!draft.parent_id) {
            return refuse(scim::error::bad_request(scim::scim_type::invalid_value,
                                                   "parent is required (top-level organizations "
                                                   "are created by the operator)"));
        }
        auto o = svc_.create_org(who_, std::move(draft), true);
        if (!o) return refuse(o.error());
        return org_record(*o);
    }

    scim::store_result<resource_record> update(std::string_view,
                                               const scim::resource_type& type,
                                               std::string_view id,
                                               std::optional<std::uint64_t> if_match,
                                               const scim::fetch_options&,
                                               const mutate_fn& mutate) override {
        if (type.id == "Event") return refuse(read_only());
        auto cur = svc_.get_org(who_, id);
        if (!cur) return refuse(cur.error());
        if (if_match && *if_match != cur->version) return store_errc::version_mismatch;
        auto ws = mutate(org_record(*cur));
        if (!ws) return store_errc::aborted;  // the service keeps its own error
        org_node changed = *cur;
        apply_attrs(changed, ws->attrs);
        auto o = svc_.update_org(who_, changed, cur->version);
        if (!o) return refuse(o.error());
        return org_record(*o);
    }

    scim::store_result<void> remove(std::string_view,
                                    const scim::resource_type& type,
                                    std::string_view id,
                                    std::optional<std::uint64_t> if_match) override {
        if (type.id == "Event") return refuse(read_only());
        auto r = svc_.delete_org(who_, id, cascade_, if_match);
        if (!r) return refuse(r.error());
        return {};
    }

  private:
    static scim::error read_only() {
        return scim::error::bad_request(scim::scim_type::mutability, "events are read-only");
    }

    store_errc refuse(scim::error e) {
        refusal = std::move(e);
        return store_errc::aborted;
    }

    static resource_record event_record_of(const event_record& e) {
        resource_record r;
        r.id = e.id;
        r.attrs = audit::event_attributes(e);
        r.meta = {e.time_ms, e.time_ms, 1};
        return r;
    }

    scim::store_result<std::vector<resource_record>> events() {
        auto p = svc_.events(who_, context_, 0, std::numeric_limits<std::int64_t>::max());
        if (!p) return refuse(p.error());
        std::vector<resource_record> out;
        for (const auto& e : p->items) out.push_back(event_record_of(e));
        return out;
    }

    directory_service& svc_;
    const actor& who_;
    std::string context_;
    bool cascade_;
};

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        const auto n = path.find('/');
        out.push_back(path.substr(0, n));
        path = n == std::string_view::npos ? std::string_view{} : path.substr(n);
    }
    return out;
}

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

json::object membership_json(const membership_record& m) {
    json::object o{{"identityId", m.identity_id},
                   {"orgId", m.org_id},
                   {"kind", std::string(to_string(m.kind))},
                   {"homeOrg", m.home_org},
                   {"roles", strings(m.roles)},
                   {"overrideInherited", m.override_inherited},
                   {"created", audit::format_time(m.created_ms)}};
    if (m.user_ref) o["userRef"] = *m.user_ref;
    return o;
}

json::object role_json(const role& r) {
    return {{"id", r.id},
            {"name", r.name},
            {"permissions", strings(r.permissions.names())},
            {"builtin", r.builtin}};
}

json::object list_json(json::array items) {
    const auto n = items.size();
    return {{"totalResults", n}, {"Resources", std::move(items)}};
}

scim::result<std::vector<std::string>> string_list(const json::object& body, std::string_view key) {
    std::vector<std::string> out;
    auto* v = body.if_contains(key);
    if (!v) return out;
    if (!v->is_array()) {
        return scim::error::bad_request(scim::scim_type::invalid_value,
                                        std::string(key) + " must be a list of strings");
    }
    for (const auto& x : v->get_array()) {
        if (!x.is_string()) {
            return scim::error::bad_request(scim::scim_type::invalid_value,
                                            std::string(key) + " must be a list of strings");
        }
        out.emplace_back(x.get_string());
    }
    return out;
}

scim::result<json::object> body_object(const scim::request& req, std::size_t depth) {
    auto v = scim::parse_json(req.body, depth);
    if (!v) return v.error();
    if (!v->is_object()) {
        return scim::error::bad_request(scim::scim_type::invalid_syntax,
                                        "the body must be a JSON object");
    }
    return std::move(v->get_object());
}

}  // namespace

void register_membership_extension(scim::schema_registry& reg) {
    using scim::attr_type;
    using scim::mutability;
    if (reg.find_schema(membership_extension_urn)) return;
    scim::schema s;
    s.id = std::string(membership_extension_urn);
    s.name = "OrganizationMembership";
    s.description = "How the User is a member of the organization whose /Users lists it";
    auto kind = attr("kind", attr_type::string, mutability::read_only,
                     "home (provisioned here), invited (joined from the parent), or inherited "
                     "(a managing ancestor's member whose roles apply here)");
    kind.canonical_values = {"home", "invited", "inherited"};
    s.attributes.push_back(std::move(kind));
    s.attributes.push_back(attr("homeOrg", attr_type::string, mutability::read_only,
                                "The organization holding the member's home User"));
    const scim::schema& stored = reg.add_schema(std::move(s));
    // Part of filling the registry at start-up: the core User type gains the extension.
    for (const auto& t : reg.resource_types()) {
        if (t->id == "User") t->extensions.push_back({&stored, false});
    }
}

void register_org_types(scim::schema_registry& reg) {
    using scim::attr_type;
    using scim::mutability;
    register_membership_extension(reg);
    if (reg.find_by_id("Organization")) return;
    scim::schema s;
    s.id = std::string(organization_schema_urn);
    s.name = "Organization";
    s.description = "An organization (tenant) in a hierarchy of MSP parents and customer children";
    s.attributes.push_back(
        attr("name", attr_type::string, mutability::read_write, "Display name", true));
    s.attributes.push_back(attr("parent", attr_type::string, mutability::read_write,
                                "The parent organization's id; absent for a top-level one"));
    auto status = attr("status", attr_type::string, mutability::read_write,
                       "active, or disabled (no SCIM writes, no invitations)");
    status.canonical_values = {"active", "disabled"};
    s.attributes.push_back(std::move(status));
    s.attributes.push_back(attr("managedBy", attr_type::string, mutability::read_write,
                                "The parent that manages this organization (its roles apply "
                                "here), after the child consented"));
    auto anc =
        attr("ancestors", attr_type::string, mutability::read_only, "Ancestor ids, root first");
    anc.multi_valued = true;
    s.attributes.push_back(std::move(anc));
    auto settings =
        attr("settings", attr_type::complex, mutability::read_write, "Organization settings");
    const std::pair<const char*, const char*> keys[] = {
        {"invitationExpiryHours", "Invitation lifetime, every kind (1..8760)"},
        {"memberExpiryHours", "Member invitation lifetime (1..8760)"},
        {"parentUserExpiryHours", "Parent-user invitation lifetime (1..8760)"},
        {"managedCompanyExpiryHours", "Managed-company invitation lifetime (1..8760)"},
        {"resendCooldownHours", "Minimum time between two sends (0..720)"},
        {"reminderBeforeHours", "Reminder this long before expiry (0..8760)"},
    };
    for (const auto& [k, doc] : keys) {
        settings.sub_attributes.push_back(attr(k, attr_type::integer, mutability::read_write, doc));
    }
    s.attributes.push_back(std::move(settings));
    const scim::schema& stored = reg.add_schema(std::move(s));
    scim::resource_type t;
    t.id = "Organization";
    t.name = "Organization";
    t.endpoint = "/Organizations";
    t.description = "Organizations (MSP parents and customer children)";
    t.core = &stored;
    reg.add_resource_type(std::move(t));
    if (!reg.find_by_id("Event")) audit::register_event_type(reg);
}

orgs_api::orgs_api(const scim::config& cfg, directory_service& svc) : cfg_(cfg), svc_(svc) {
    register_org_types(reg_);
}

bool orgs_api::handles(std::string_view path) noexcept {
    if (path.starts_with('/')) path.remove_prefix(1);
    const auto first = path.substr(0, path.find('/'));
    return scim::iequals(first, "Organizations") || scim::iequals(first, "Events");
}

scim::response orgs_api::handle(const scim::request& req,
                                const actor& who,
                                std::string_view context_org) const {
    const auto seg = segments(req.path);
    if (seg.empty() || !handles(req.path)) {
        return error_response(scim::error::not_found("no such endpoint"));
    }
    const bool events = scim::iequals(seg[0], "Events");
    if (!events && seg.size() >= 3) {
        return sub_resource(req, who, seg[1], seg[2], seg.size() >= 4 ? seg[3] : "");
    }
    if (seg.size() > 2 || (seg.size() == 2 && seg[1].empty())) {
        return error_response(scim::error::not_found("no such resource"));
    }
    std::string context(context_org);
    if (context.empty() && who.credential_org) context = *who.credential_org;
    if (events) {
        const bool search = req.method == "POST" && seg.size() == 2 && seg[1] == ".search";
        if (req.method != "GET" && !search) {
            return error_response(
                scim::error::bad_request(scim::scim_type::mutability, "events are read-only"));
        }
        if (context.empty()) {
            return error_response(scim::error::bad_request(
                scim::scim_type::invalid_value,
                "events belong to one organization: use /o/{org}/scim/v2/Events"));
        }
    }
    const bool cascade = req.param("cascade").value_or("") == "true";
    org_resources store(svc_, who, context, cascade);
    scim::service inner(cfg_, reg_, store);
    scim::caller c;
    c.tenant = context;
    c.subject = who.subject;
    c.credential_id = who.credential_id;
    c.can_read = true;
    c.can_write = true;  // authorization happens per organization, in the directory service
    auto res = inner.handle(req, c);
    if (store.refusal && res.status >= 400) return error_response(*store.refusal);
    return res;
}

scim::response orgs_api::sub_resource(const scim::request& req,
                                      const actor& who,
                                      std::string_view org,
                                      std::string_view what,
                                      std::string_view item) const {
    const std::string& m = req.method;
    auto fail = [](const scim::error& e) { return error_response(e); };

    if (what == "permissions" && item.empty() && m == "GET") {
        auto p = svc_.permissions(who, org);
        if (!p) return fail(p.error());
        if (p->empty()) return fail(scim::error::not_found("Organization not found"));
        return json_response(200,
                             json::object{{"orgId", org}, {"permissions", strings(p->names())}});
    }

    if (what == "members") {
        if (item.empty() && m == "GET") {
            auto ms = svc_.members(who, org);
            if (!ms) return fail(ms.error());
            json::array items;
            for (const auto& x : *ms) items.push_back(membership_json(x));
            return json_response(200, list_json(std::move(items)));
        }
        if ((item.empty() && m == "POST") || (!item.empty() && m == "PUT")) {
            auto body = body_object(req, cfg_.max_json_depth);
            if (!body) return fail(body.error());
            auto roles = string_list(*body, "roles");
            if (!roles) return fail(roles.error());
            identity_record ident;
            ident.id = std::string(item);
            ident.issuer = opt_string(*body, "issuer");
            ident.subject = opt_string(*body, "subject");
            ident.display = opt_string(*body, "displayName").value_or("");
            if (auto id = opt_string(*body, "identityId"); id && item.empty()) ident.id = *id;
            const auto kind_text = opt_string(*body, "kind").value_or("home");
            const auto kind = parse_membership_kind(kind_text);
            if (!kind) {
                return fail(scim::error::bad_request(scim::scim_type::invalid_value,
                                                     "kind must be home or invited"));
            }
            member_grant g{std::move(*roles), false, std::nullopt};
            if (auto* o = body->if_contains("overrideInherited"); o && o->is_bool()) {
                g.override_inherited = o->get_bool();
            }
            auto w = svc_.put_member(who, org, std::move(ident), *kind, g);
            if (!w) return fail(w.error());
            return json_response(item.empty() ? 201 : 200, membership_json(*w));
        }
        if (!item.empty() && m == "DELETE") {
            auto r = svc_.remove_member(who, org, item);
            if (!r) return fail(r.error());
            return no_content();
        }
    }

    if (what == "roles") {
        if (item.empty() && m == "GET") {
            auto rs = svc_.roles(who, org);
            if (!rs) return fail(rs.error());
            json::array items;
            for (const auto& r : *rs) items.push_back(role_json(r));
            return json_response(200, list_json(std::move(items)));
        }
        if (item.empty() && m == "POST") {
            auto body = body_object(req, cfg_.max_json_depth);
            if (!body) return fail(body.error());
            auto names = string_list(*body, "permissions");
            if (!names) return fail(names.error());
            permission_set perms;
            for (const auto& n : *names) {
                auto p = parse_permission(n);
                if (!p) {
                    return fail(scim::error::bad_request(scim::scim_type::invalid_value,
                                                         "no such permission: \"" + n + "\""));
                }
                perms.add(*p);
            }
            auto r = svc_.create_role(who, org, opt_string(*body, "name").value_or(""), perms);
            if (!r) return fail(r.error());
            return json_response(201, role_json(*r));
        }
        if (!item.empty() && m == "DELETE") {
            auto r = svc_.delete_role(who, org, item);
            if (!r) return fail(r.error());
            return no_content();
        }
    }

    if (what == "groupRoles") {
        if (item.empty() && m == "GET") {
            auto gs = svc_.group_roles(who, org);
            if (!gs) return fail(gs.error());
            json::array items;
            for (const auto& g : *gs) {
                items.push_back(json::object{{"groupId", g.group_id}, {"roleId", g.role_id}});
            }
            return json_response(200, list_json(std::move(items)));
        }
        if (!item.empty() && (m == "PUT" || m == "DELETE")) {
            std::vector<std::string> roles;
            if (m == "PUT") {
                auto body = body_object(req, cfg_.max_json_depth);
                if (!body) return fail(body.error());
                auto rs = string_list(*body, "roles");
                if (!rs) return fail(rs.error());
                roles = std::move(*rs);
            }
            auto r = svc_.set_group_roles(who, org, item, roles);
            if (!r) return fail(r.error());
            return no_content();
        }
    }
    return fail(scim::error::not_found("no such endpoint"));
}

}  // namespace orgscim::plugin::orgs
