#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <orgscim/plugin/invitations/handlers.hpp>
#include <orgscim/plugin/web/pages.hpp>
#include <orgscim/scim/filter.hpp>
#include <orgscim/scim/path.hpp>

namespace orgscim::plugin::invitations {

namespace json = boost::json;
using scim::request;
using scim::response;

namespace {

std::string rfc3339(std::int64_t ms) {
    if (ms <= 0) return {};
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

scim::attribute attr(std::string name,
                     scim::attr_type t = scim::attr_type::string,
                     bool multi = false,
                     scim::mutability m = scim::mutability::read_only) {
    scim::attribute a;
    a.name = std::move(name);
    a.type = t;
    a.multi_valued = multi;
    a.mutability = m;
    return a;
}

response json_response(int status, const json::value& body) {
    response r;
    r.status = status;
    r.body = json::serialize(body);
    r.set_header("Content-Type", std::string(scim::scim_content_type));
    return r;
}

response error_response(errc e, std::string_view detail = {}) {
    auto se = to_scim_error(e, detail);
    json::value body = scim::to_json(se);
    // Our stable code next to the RFC's fields, so clients need not parse `detail`.
    body.as_object()["errorCode"] = to_string(e);
    auto r = json_response(se.status, body);
    if (se.status == 429) r.set_header("Retry-After", "3600");
    return r;
}

response scim_error(const scim::error& e) {
    response r;
    r.status = e.status;
    r.body = scim::to_body(e);
    r.set_header("Content-Type", std::string(scim::scim_content_type));
    return r;
}

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

// Roles and groups may come as strings or as {"value": "..."}.
std::vector<std::string> read_strings(const json::object& o, std::string_view key) {
    std::vector<std::string> out;
    auto* v = o.if_contains(key);
    if (!v || !v->is_array()) return out;
    for (const auto& e : v->as_array()) {
        if (e.is_string()) out.emplace_back(e.as_string());
        if (e.is_object())
            if (auto* s = e.as_object().if_contains("value"); s && s->is_string())
                out.emplace_back(s->as_string());
    }
    return out;
}

std::string read_string(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<bool> read_bool(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (v && v->is_bool()) return v->as_bool();
    return std::nullopt;
}

std::optional<std::int64_t> read_int(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (v && v->is_int64()) return v->as_int64();
    if (v && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    return std::nullopt;
}

scim::result<json::object> parse_body(const request& req, bool optional) {
    if (req.body.empty() && optional) return json::object{};
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object())
        return scim::error::bad_request(scim::scim_type::invalid_syntax, "expected a JSON object");
    return std::move(v.as_object());
}

json::object invitation_wire(const invitation_record& r, std::int64_t now, std::string_view base) {
    json::object o;
    o["schemas"] = json::array{json::string(invitation_schema_urn)};
    o["id"] = r.id;
    o["kind"] = r.kind;
    o["status"] = std::string(r.status == "pending" && now >= r.expires_ms ? "expired" : r.status);
    o["email"] = r.email;
    if (!r.display_name.empty()) o["displayName"] = r.display_name;
    if (!r.parent_user.empty()) o["parentUser"] = r.parent_user;
    o["roles"] = strings(r.roles);
    o["groups"] = strings(r.groups);
    o["inviter"] = r.inviter;
    o["expires"] = rfc3339(r.expires_ms);
    o["lastSent"] = rfc3339(r.last_sent_ms);
    o["resendCount"] = r.resend_count;
    o["tokenVersion"] = r.token_version;
    if (r.reminder_at_ms > 0) o["reminderAt"] = rfc3339(r.reminder_at_ms);
    if (r.finished_ms > 0) {
        o["finished"] = rfc3339(r.finished_ms);
        o["finishedBy"] = r.finished_by;
    }
    if (!r.reason.empty()) o["reason"] = r.reason;
    o["deliveryStatus"] = r.delivery;
    if (!r.delivery_error.empty()) o["deliveryError"] = r.delivery_error;
    if (!r.history.empty()) {
        json::array h;
        for (const auto& e : r.history)
            h.push_back(json::object{{"at", rfc3339(e.at_ms)},
                                     {"action", e.action},
                                     {"actor", e.actor},
                                     {"detail", e.detail}});
        o["history"] = std::move(h);
    }
    o["meta"] = json::object{{"resourceType", "Invitation"},
                             {"created", rfc3339(r.created_ms)},
                             {"lastModified", rfc3339(r.modified_ms)},
                             {"location", std::string(base) + "/Invitations/" + r.id},
                             {"version", "W/\"" + std::to_string(r.version) + "\""}};
    return o;
}

json::object request_wire(const access_request_record& r, std::string_view base) {
    json::object o;
    o["schemas"] = json::array{json::string(access_request_schema_urn)};
    o["id"] = r.id;
    o["status"] = r.status;
    o["requester"] = r.requester;
    o["email"] = r.email;
    if (!r.display_name.empty()) o["displayName"] = r.display_name;
    if (!r.reason.empty()) o["reason"] = r.reason;
    if (!r.decided_by.empty()) o["decidedBy"] = r.decided_by;
    if (!r.role.empty()) o["role"] = r.role;
    if (!r.deny_reason.empty()) o["denyReason"] = r.deny_reason;
    o["notifyCount"] = r.notify_count;
    o["lastNotified"] = rfc3339(r.last_notified_ms);
    o["meta"] = json::object{{"resourceType", "AccessRequest"},
                             {"created", rfc3339(r.created_ms)},
                             {"lastModified", rfc3339(r.modified_ms)},
                             {"location", std::string(base) + "/AccessRequests/" + r.id},
                             {"version", "W/\"" + std::to_string(r.version) + "\""}};
    return o;
}

std::vector<std::string> split_path(std::string_view p) {
    std::vector<std::string> out;
    while (!p.empty()) {
        if (p.front() == '/') {
            p.remove_prefix(1);
            continue;
        }
        auto slash = p.find('/');
        out.emplace_back(p.substr(0, slash));
        p = slash == std::string_view::npos ? std::string_view{} : p.substr(slash);
    }
    return out;
}

bool ieq(std::string_view a, std::string_view b) { return scim::iequals(a, b); }

// Top-level attribute name of an attributes/excludedAttributes entry ("emails.value" -> "emails",
// "urn:...:Invitation:email" -> "email").
std::string top_name(std::string_view item, std::string_view urn) {
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.size() > urn.size() && ieq(item.substr(0, urn.size()), urn) && item[urn.size()] == ':')
        item.remove_prefix(urn.size() + 1);
    return std::string(item.substr(0, item.find('.')));
}

void project(json::object& o,
             std::string_view attributes,
             std::string_view excluded,
             std::string_view urn) {
    auto names = [&](std::string_view list) {
        std::vector<std::string> out;
        while (!list.empty()) {
            auto comma = list.find(',');
            auto n = top_name(list.substr(0, comma), urn);
            if (!n.empty()) out.push_back(n);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        }
        return out;
    };
    auto always = [](std::string_view k) { return k == "id" || k == "schemas"; };
    auto listed = [](const std::vector<std::string>& v, std::string_view k) {
        return std::any_of(v.begin(), v.end(), [&](const auto& n) { return scim::iequals(n, k); });
    };
    auto keep = names(attributes);
    auto drop = names(excluded);
    std::vector<std::string> remove;
    for (const auto& kv : o) {
        std::string_view k = kv.key();
        if (always(k)) continue;
        if ((!keep.empty() && !listed(keep, k)) || listed(drop, k)) remove.emplace_back(k);
    }
    for (const auto& k : remove) o.erase(k);
}

struct list_params {
    std::string filter, sort_by, attributes, excluded;
    bool descending = false;
    std::int64_t start = 1;
    std::int64_t count = 100;
};

list_params query_params(const request& req) {
    list_params p;
    if (auto v = req.param("filter")) p.filter = *v;
    if (auto v = req.param("sortBy")) p.sort_by = *v;
    if (auto v = req.param("sortOrder")) p.descending = ieq(*v, "descending");
    if (auto v = req.param("attributes")) p.attributes = *v;
    if (auto v = req.param("excludedAttributes")) p.excluded = *v;
    auto num = [](std::string_view s, std::int64_t def) {
        std::int64_t n = 0;
        if (s.empty() || s.size() > 9) return def;
        for (char c : s) {
            if (c < '0' || c > '9') return def;
            n = n * 10 + (c - '0');
        }
        return n;
    };
    if (auto v = req.param("startIndex")) p.start = std::max<std::int64_t>(1, num(*v, 1));
    if (auto v = req.param("count")) p.count = std::min<std::int64_t>(1000, num(*v, 100));
    return p;
}

list_params body_params(const json::object& o) {
    list_params p;
    p.filter = read_string(o, "filter");
    p.sort_by = read_string(o, "sortBy");
    p.descending = ieq(read_string(o, "sortOrder"), "descending");
    auto join = [&](std::string_view key) {
        std::string out;
        for (const auto& s : read_strings(o, key)) out += (out.empty() ? "" : ",") + s;
        if (out.empty()) out = read_string(o, key);
        return out;
    };
    p.attributes = join("attributes");
    p.excluded = join("excludedAttributes");
    if (auto n = read_int(o, "startIndex")) p.start = std::max<std::int64_t>(1, *n);
    if (auto n = read_int(o, "count")) p.count = std::clamp<std::int64_t>(*n, 0, 1000);
    return p;
}

// Orders by one top-level attribute; strings case-blind, missing values last either way.
int compare(const json::value* a, const json::value* b) {
    if (!a || a->is_null()) return (!b || b->is_null()) ? 0 : 1;
    if (!b || b->is_null()) return -1;
    if (a->is_array()) a = a->as_array().empty() ? nullptr : &a->as_array()[0];
    if (b->is_array()) b = b->as_array().empty() ? nullptr : &b->as_array()[0];
    if (!a || !b) return compare(a, b);
    if (a->is_string() && b->is_string()) {
        std::string x(a->as_string()), y(b->as_string());
        std::transform(x.begin(), x.end(), x.begin(), ::tolower);
        std::transform(y.begin(), y.end(), y.begin(), ::tolower);
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a->is_number() && b->is_number()) {
        double x = a->to_number<double>(), y = b->to_number<double>();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    return 0;
}

response list_response(std::vector<json::object> items,
                       const list_params& p,
                       const scim::resource_type& type,
                       std::string_view urn) {
    std::vector<json::object> kept;
    if (!p.filter.empty()) {
        auto f = scim::parse_filter(p.filter);
        if (!f) return scim_error(f.error());
        if (auto b = scim::bind(**f, type); !b) return scim_error(b.error());
        for (auto& o : items)
            if (scim::matches(**f, o)) kept.push_back(std::move(o));
    } else {
        kept = std::move(items);
    }
    if (!p.sort_by.empty()) {
        auto path = scim::parse_attr_path(p.sort_by);
        if (!path) return scim_error(path.error());
        if (auto b = scim::bind(*path, type, scim::scim_type::invalid_path); !b)
            return scim_error(b.error());
        std::string key = path->attr;
        std::stable_sort(kept.begin(), kept.end(), [&](const auto& a, const auto& b) {
            int c = compare(a.if_contains(key), b.if_contains(key));
            return p.descending ? c > 0 : c < 0;
        });
    }
    json::array resources;
    auto total = static_cast<std::int64_t>(kept.size());
    for (std::int64_t i = p.start - 1; i < total && i < p.start - 1 + p.count; ++i) {
        auto& o = kept[static_cast<std::size_t>(i)];
        project(o, p.attributes, p.excluded, urn);
        resources.push_back(std::move(o));
    }
    json::object body;
    body["schemas"] = json::array{json::string(scim::list_response_urn)};
    body["totalResults"] = total;
    body["startIndex"] = p.start;
    body["itemsPerPage"] = resources.size();
    body["Resources"] = std::move(resources);
    return json_response(200, body);
}

response no_store(response r) {
    r.set_header("Cache-Control", "no-store");
    r.set_header("Referrer-Policy", "no-referrer");
    return r;
}

bool wants_html(const request& req) {
    auto accept = req.header("accept");
    if (!accept) return false;
    auto html = accept->find("text/html");
    auto js = accept->find("json");
    return html != std::string_view::npos && (js == std::string_view::npos || html < js);
}

}  // namespace

void register_schemas(scim::schema_registry& reg) {
    using scim::attr_type;
    using scim::mutability;
    scim::schema inv;
    inv.id = std::string(invitation_schema_urn);
    inv.name = "Invitation";
    inv.description = "An invitation into an organization (member, parentUser, managedCompany)";
    auto rw = mutability::read_write;
    inv.attributes = {attr("kind", attr_type::string, false, mutability::immutable),
                      attr("status"),
                      attr("email", attr_type::string, false, mutability::immutable),
                      attr("displayName", attr_type::string, false, rw),
                      attr("parentUser", attr_type::string, false, mutability::immutable),
                      attr("roles", attr_type::string, true, mutability::immutable),
                      attr("groups", attr_type::string, true, mutability::immutable),
                      attr("inviter"),
                      attr("expires", attr_type::date_time),
                      attr("lastSent", attr_type::date_time),
                      attr("reminderAt", attr_type::date_time),
                      attr("resendCount", attr_type::integer),
                      attr("tokenVersion", attr_type::integer),
                      attr("finished", attr_type::date_time),
                      attr("finishedBy"),
                      attr("reason"),
                      attr("deliveryStatus"),
                      attr("deliveryError")};
    auto history = attr("history", attr_type::complex, true);
    history.sub_attributes = {attr("at", attr_type::date_time), attr("action"), attr("actor"),
                              attr("detail")};
    inv.attributes.push_back(std::move(history));
    inv.attributes[1].canonical_values = {"pending", "accepted", "declined", "expired", "revoked"};
    inv.attributes[0].canonical_values = {"member", "parentUser", "managedCompany"};
    const auto& inv_schema = reg.add_schema(std::move(inv));
    reg.add_resource_type({"Invitation",
                           "Invitation",
                           "/Invitations",
                           "Invitations into this organization",
                           &inv_schema,
                           {}});

    scim::schema ar;
    ar.id = std::string(access_request_schema_urn);
    ar.name = "AccessRequest";
    ar.description = "A signed-in user's request to join an organization";
    ar.attributes = {attr("status"),
                     attr("requester"),
                     attr("email"),
                     attr("displayName"),
                     attr("reason"),
                     attr("decidedBy"),
                     attr("role"),
                     attr("denyReason"),
                     attr("notifyCount", attr_type::integer),
                     attr("lastNotified", attr_type::date_time)};
    ar.attributes[0].canonical_values = {"pending", "approved", "denied"};
    const auto& ar_schema = reg.add_schema(std::move(ar));
    reg.add_resource_type({"AccessRequest",
                           "AccessRequest",
                           "/AccessRequests",
                           "Requests to join this organization",
                           &ar_schema,
                           {}});
}

handlers::handlers(service& svc, const scim::schema_registry& reg)
    : svc_(svc),
      inv_type_(reg.find_by_endpoint("Invitations")),
      req_type_(reg.find_by_endpoint("AccessRequests")) {}

bool handlers::is_link_path(std::string_view path) noexcept {
    return path.starts_with("/invitations/");
}

bool handlers::is_management_path(std::string_view path) noexcept {
    while (path.starts_with('/')) path.remove_prefix(1);
    const auto first = path.substr(0, path.find('/'));
    return ieq(first, "Invitations") || ieq(first, "AccessRequests");
}

std::optional<response> handlers::handle_scim(const request& req,
                                              const scim::caller& caller,
                                              const verified_identity* who) {
    auto seg = split_path(req.path);
    if (seg.empty()) return std::nullopt;
    bool invitations = ieq(seg[0], "Invitations");
    bool requests = ieq(seg[0], "AccessRequests");
    if (!invitations && !requests) return std::nullopt;
    if (!inv_type_ || !req_type_) return scim_error(scim::error::internal());
    const std::string& m = req.method;
    const std::string org = caller.tenant;

    // A signed-in user asking to join: needs an identity, not a permission in the org.
    if (requests && seg.size() == 1 && m == "POST") {
        if (!who) return scim_error(scim::error::unauthorized("sign in to request access"));
        auto body = parse_body(req, false);
        if (!body) return scim_error(body.error());
        auto target = read_string(*body, "organization");
        if (target.empty()) target = org;
        auto r = svc_.ask(target, *who, read_string(*body, "reason"));
        if (!r) return error_response(r.error());
        return json_response(r->notify_count > 1 ? 200 : 201, request_wire(*r, req.base_url));
    }

    bool read = m == "GET" || (m == "POST" && seg.size() == 2 && seg[1] == ".search");
    if (org.empty() || (read ? !caller.can_read : !caller.can_write))
        return scim_error(scim::error::forbidden("not allowed in this organization"));
    const std::string actor = caller.subject.empty() ? caller.credential_id : caller.subject;

    if (invitations) {
        if (seg.size() == 1 && m == "GET") {
            auto all = svc_.list(org);
            if (!all) return error_response(all.error());
            std::vector<json::object> items;
            for (const auto& r : *all)
                items.push_back(invitation_wire(r, svc_.now(), req.base_url));
            return list_response(std::move(items), query_params(req), *inv_type_,
                                 invitation_schema_urn);
        }
        if (seg.size() == 2 && seg[1] == ".search" && m == "POST") {
            auto body = parse_body(req, false);
            if (!body) return scim_error(body.error());
            auto all = svc_.list(org);
            if (!all) return error_response(all.error());
            std::vector<json::object> items;
            for (const auto& r : *all)
                items.push_back(invitation_wire(r, svc_.now(), req.base_url));
            return list_response(std::move(items), body_params(*body), *inv_type_,
                                 invitation_schema_urn);
        }
        if (seg.size() == 1 && m == "POST") {
            auto body = parse_body(req, false);
            if (!body) return scim_error(body.error());
            create_request cr;
            cr.org_id = org;
            cr.actor = actor;
            cr.kind = read_string(*body, "kind");
            if (cr.kind.empty()) cr.kind = "member";
            cr.roles = read_strings(*body, "roles");
            cr.groups = read_strings(*body, "groups");
            cr.expires_in_s = read_int(*body, "expiresInSeconds");
            cr.send_email = read_bool(*body, "sendEmail").value_or(true);
            cr.replace = read_bool(*body, "replace").value_or(false);
            cr.dry_run = read_bool(*body, "dryRun").value_or(false);
            std::vector<invitee> people;
            auto one = [](const json::object& o) {
                invitee i;
                i.email = read_string(o, "email");
                i.parent_user = read_string(o, "userName");
                i.display_name = read_string(o, "displayName");
                i.roles = read_strings(o, "roles");
                i.groups = read_strings(o, "groups");
                i.expires_in_s = read_int(o, "expiresInSeconds");
                return i;
            };
            auto* list = body->if_contains("invitees");
            bool batch = list && list->is_array();
            if (batch) {
                if (static_cast<std::int64_t>(list->as_array().size()) >
                    svc_.config().settings.max_invitees_per_request)
                    return scim_error(scim::error::payload_too_large("too many invitees"));
                for (const auto& e : list->as_array()) {
                    if (e.is_object())
                        people.push_back(one(e.as_object()));
                    else if (e.is_string())
                        people.push_back(invitee{std::string(e.as_string()), {}, {}, {}, {}, {}});
                }
                cr.roles = read_strings(*body, "roles");
            } else {
                auto i = one(*body);
                i.roles.clear();  // the request's roles apply
                i.groups.clear();
                people.push_back(std::move(i));
            }
            auto out = svc_.create(cr, people);
            if (!out) return error_response(out.error());
            if (!batch) {
                const auto& r = (*out)[0];
                if (r.error) return error_response(*r.error);
                auto o = invitation_wire(*r.invitation, svc_.now(), req.base_url);
                if (!r.link.empty()) o["link"] = r.link;
                auto resp = json_response(cr.dry_run ? 200 : 201, o);
                if (!cr.dry_run)
                    resp.set_header("Location",
                                    o["meta"].as_object()["location"].as_string().c_str());
                if (!r.link.empty()) resp = no_store(std::move(resp));
                return resp;
            }
            json::array results;
            std::size_t failed = 0;
            for (const auto& r : *out) {
                json::object e;
                e["input"] = r.input;
                if (r.invitation && !r.error) {
                    e["status"] = cr.dry_run ? "valid" : "created";
                    if (!cr.dry_run) e["id"] = r.invitation->id;
                    e["email"] = r.invitation->email;
                    if (!r.link.empty()) e["link"] = r.link;
                } else {
                    ++failed;
                    e["status"] = r.skipped ? "skipped" : "error";
                    e["errorCode"] = to_string(*r.error);
                    e["detail"] = to_scim_error(*r.error).detail;
                }
                results.push_back(std::move(e));
            }
            json::object body_out{{"schemas", json::array{json::string(invitation_results_urn)}},
                                  {"totalResults", out->size()},
                                  {"failed", failed},
                                  {"results", std::move(results)}};
            return no_store(json_response(200, body_out));
        }
        if (seg.size() == 2 && m == "GET") {
            auto r = svc_.get(org, seg[1]);
            if (!r) return error_response(r.error(), "invitation not found");
            auto o = invitation_wire(*r, svc_.now(), req.base_url);
            auto p = query_params(req);
            project(o, p.attributes, p.excluded, invitation_schema_urn);
            return json_response(200, o);
        }
        if (seg.size() == 2 && m == "DELETE") {
            auto r = svc_.remove(org, seg[1]);
            if (!r) return error_response(r.error(), "invitation not found");
            response ok;
            ok.status = 204;
            return ok;
        }
        if (seg.size() == 3 && m == "POST") {
            auto body = parse_body(req, true);
            if (!body) return scim_error(body.error());
            const auto& id = seg[1];
            if (seg[2] == "resend") {
                bool send = read_bool(*body, "sendEmail").value_or(true);
                auto r = svc_.resend(org, id, actor, send);
                if (!r) return error_response(r.error(), "invitation not found");
                auto o = invitation_wire(r->first, svc_.now(), req.base_url);
                if (!r->second.empty()) o["link"] = r->second;
                return no_store(json_response(200, o));
            }
            if (seg[2] == "revoke") {
                auto r = svc_.revoke(org, id, actor, read_string(*body, "reason"));
                if (!r) return error_response(r.error(), "invitation not found");
                return json_response(200, invitation_wire(*r, svc_.now(), req.base_url));
            }
            if (seg[2] == "link") {
                auto r = svc_.copy_link(org, id, actor);
                if (!r) return error_response(r.error(), "invitation not found");
                return no_store(json_response(200, json::object{{"link", *r}}));
            }
        }
        return scim_error(scim::error::not_found("no such endpoint"));
    }

    // AccessRequests (admin side).
    if (seg.size() == 1 && m == "GET") {
        auto all = svc_.list_requests(org);
        if (!all) return error_response(all.error());
        std::vector<json::object> items;
        for (const auto& r : *all) items.push_back(request_wire(r, req.base_url));
        return list_response(std::move(items), query_params(req), *req_type_,
                             access_request_schema_urn);
    }
    if (seg.size() == 2 && m == "GET") {
        auto r = svc_.get_request(org, seg[1]);
        if (!r) return error_response(r.error(), "access request not found");
        return json_response(200, request_wire(*r, req.base_url));
    }
    if (seg.size() == 3 && m == "POST") {
        auto body = parse_body(req, true);
        if (!body) return scim_error(body.error());
        if (seg[2] == "approve") {
            auto role = read_string(*body, "role");
            if (role.empty())
                return scim_error(scim::error::bad_request(scim::scim_type::invalid_value,
                                                           "approve needs a role"));
            auto r = svc_.approve(org, seg[1], actor, role);
            if (!r) return error_response(r.error(), "access request not found");
            return json_response(200, request_wire(*r, req.base_url));
        }
        if (seg[2] == "deny") {
            auto r = svc_.deny(org, seg[1], actor, read_string(*body, "reason"));
            if (!r) return error_response(r.error(), "access request not found");
            return json_response(200, request_wire(*r, req.base_url));
        }
    }
    return scim_error(scim::error::not_found("no such endpoint"));
}

response handlers::handle_link(const request& req, const verified_identity* who) {
    auto seg = split_path(req.path);
    if (seg.size() < 2 || seg.size() > 3 || seg[0] != "invitations")
        return no_store(error_response(errc::invalid_link));
    const std::string& token = seg[1];
    bool html = wants_html(req);
    auto invalid = [&] {
        if (!html || req.method != "GET") return no_store(error_response(errc::invalid_link));
        response r;
        r.status = 404;
        r.body = web::render_invalid_link_page();
        r.set_header("Content-Type", "text/html; charset=utf-8");
        return no_store(std::move(r));
    };

    if (seg.size() == 2 && (req.method == "GET" || req.method == "HEAD")) {
        auto v = svc_.view(token, who);
        if (!v) return v.error() == errc::invalid_link ? invalid() : error_response(v.error());
        const auto& r = v->invitation;
        std::string self = svc_.link_for(token);
        if (html) {
            web::invitation_page p{v->org.name,  v->inviter_name,  r.kind,
                                   r.email,      r.roles,          r.groups,
                                   r.expires_ms, self + "/accept", self + "/decline"};
            response out;
            out.status = 200;
            out.body = req.method == "HEAD" ? std::string() : web::render_invitation_page(p);
            out.set_header("Content-Type", "text/html; charset=utf-8");
            return no_store(std::move(out));
        }
        json::object o{{"organization", json::object{{"id", v->org.id}, {"name", v->org.name}}},
                       {"kind", r.kind},
                       {"email", r.email},
                       {"inviter", v->inviter_name},
                       {"roles", strings(r.roles)},
                       {"groups", strings(r.groups)},
                       {"expires", rfc3339(r.expires_ms)},
                       {"accept", self + "/accept"},
                       {"decline", self + "/decline"}};
        // A signed-in customer admin always gets the list (empty: only "create a new company").
        if (!v->companies.empty() || (who && r.kind == "managedCompany")) {
            json::array cs;
            for (const auto& c : v->companies) {
                json::object e{{"id", c.org_id}, {"name", c.name}, {"available", c.available}};
                if (!c.reason.empty()) e["reason"] = c.reason;
                cs.push_back(std::move(e));
            }
            o["companies"] = std::move(cs);
        }
        auto out = json_response(200, o);
        out.set_header("Content-Type", "application/json");
        if (req.method == "HEAD") out.body.clear();
        return no_store(std::move(out));
    }
    if (seg.size() == 3 && req.method == "POST" && (seg[2] == "accept" || seg[2] == "decline")) {
        if (!who) {
            auto r = scim_error(scim::error::unauthorized("sign in as the invited person"));
            r.set_header("WWW-Authenticate", "Bearer");
            return no_store(std::move(r));
        }
        auto body = parse_body(req, true);
        if (!body) return no_store(scim_error(body.error()));
        if (seg[2] == "decline") {
            auto r = svc_.decline(token, *who, read_string(*body, "reason"));
            if (!r) return no_store(error_response(r.error()));
            return no_store(json_response(200, json::object{{"status", "declined"}}));
        }
        accept_request ar;
        ar.company_ids = read_strings(*body, "companies");
        ar.new_company_name = read_string(*body, "newCompanyName");
        ar.accept_terms = read_bool(*body, "acceptTerms").value_or(false);
        auto r = svc_.accept(token, *who, ar);
        if (!r) return no_store(error_response(r.error()));
        json::object o{{"status", "accepted"},
                       {"organization", r->invitation.org_id},
                       {"roles", strings(r->invitation.roles)},
                       {"groups", strings(r->invitation.groups)},
                       {"missingRoles", strings(r->missing.missing_roles)},
                       {"missingGroups", strings(r->missing.missing_groups)}};
        if (!r->managed_companies.empty()) o["managedCompanies"] = strings(r->managed_companies);
        return no_store(json_response(200, o));
    }
    return no_store(error_response(errc::invalid_link));
}

}  // namespace orgscim::plugin::invitations
