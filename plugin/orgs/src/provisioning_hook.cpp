#include <boost/json/parse.hpp>
#include <charconv>
#include <orgscim/plugin/orgs/provisioning_hook.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/service.hpp>

namespace orgscim::plugin::orgs {

namespace {

// "/Users" -> ("Users", ""), "/Users/42" -> ("Users", "42"); anything deeper: ("", "").
std::pair<std::string_view, std::string_view> split(std::string_view p) {
    while (p.starts_with('/')) p.remove_prefix(1);
    while (p.ends_with('/')) p.remove_suffix(1);
    const auto slash = p.find('/');
    if (slash == std::string_view::npos) return {p, {}};
    const auto rest = p.substr(slash + 1);
    if (rest.find('/') != std::string_view::npos) return {};
    return {p.substr(0, slash), rest};
}

// "https://x/scim/v2/Users/42" or "/Users/42" -> "42" when it names a User, else "".
std::string user_id_in(std::string_view ref) {
    const auto at = ref.rfind("/Users/");
    if (at == std::string_view::npos) return {};
    auto id = ref.substr(at + 7);
    if (id.empty() || id.find('/') != std::string_view::npos) return {};
    return std::string(id);
}

// The version an If-Match value names (W/"7", "7"); nullopt for anything else.
std::optional<std::uint64_t> version_in(std::string_view v) {
    while (v.starts_with(' ')) v.remove_prefix(1);
    while (v.ends_with(' ')) v.remove_suffix(1);
    if (v.starts_with("W/") || v.starts_with("w/")) v.remove_prefix(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    std::uint64_t out = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
    return out;
}

bool is_false(const boost::json::value& v) {
    if (const auto* b = v.if_bool()) return !*b;
    if (const auto* s = v.if_string()) return scim::iequals(*s, "false");
    return false;
}

// Whether a PUT body or PATCH request of a bulk operation leaves active=false (Entra's shapes:
// replace with path "active", or a path-less value object holding "active").
bool sets_inactive(std::string_view method, const boost::json::value& data) {
    const auto* o = data.if_object();
    if (!o) return false;
    if (method == "PUT") {
        const auto* a = o->if_contains("active");
        return a && is_false(*a);
    }
    const auto* ops = o->if_contains("Operations");
    if (!ops || !ops->is_array()) return false;
    bool off = false;
    for (const auto& op : ops->get_array()) {
        const auto* oo = op.if_object();
        if (!oo) continue;
        const auto* path = oo->if_contains("path");
        const auto* value = oo->if_contains("value");
        if (!value) continue;
        if (path && path->is_string() && scim::iequals(path->get_string(), "active")) {
            off = is_false(*value);
        } else if (!path && value->is_object()) {
            if (const auto* a = value->get_object().if_contains("active")) off = is_false(*a);
        }
    }
    return off;
}

// One successful User write, whether it came alone or inside a Bulk request: a create makes
// the identity, a delete or a write that leaves active=false removes the leaver everywhere.
struct user_write {
    std::string_view method;  ///< POST, PUT, PATCH, DELETE
    std::string user_id;
    std::string display;  ///< userName of a create
    bool inactive = false;
};

// A single User write from the written resource (a stored record's attributes or the response
// body): its id, its userName (named by a create) and whether it left active=false.
user_write written_user(std::string_view method, std::string id, const boost::json::object& o) {
    user_write w{method, std::move(id), {}, false};
    if (const auto* n = o.if_contains("userName"); n && n->is_string())
        w.display = std::string(n->get_string());
    const auto* act = o.if_contains("active");
    w.inactive = act && act->is_bool() && !act->get_bool();
    return w;
}

scim::result<void> follow_one(directory_service& svc,
                              const actor& a,
                              std::string_view org,
                              const user_write& w,
                              std::vector<membership_record>* removed) {
    if (w.user_id.empty()) return {};
    scim::result<void> done;
    if (w.method == "POST") {
        if (auto r = svc.user_provisioned(a, org, w.user_id, w.display); !r) done = r.error();
    } else if (w.method == "DELETE" || w.inactive) {
        if (auto r = svc.user_deprovisioned(a, org, w.user_id, w.method == "DELETE", removed); !r)
            done = r.error();
    }
    return done;
}

// POST /Bulk: each successful User operation is followed like the single request would be.
scim::result<void> follow_bulk(directory_service& svc,
                               const scim::request& req,
                               const scim::response& res,
                               const actor& a,
                               std::string_view org,
                               std::vector<membership_record>* removed) {
    boost::system::error_code ec;
    auto in = boost::json::parse(req.body, ec);
    if (ec || !in.is_object()) return {};
    auto out = boost::json::parse(res.body, ec);
    if (ec || !out.is_object()) return {};
    const auto* req_ops = in.get_object().if_contains("Operations");
    const auto* res_ops = out.get_object().if_contains("Operations");
    if (!req_ops || !res_ops || !req_ops->is_array() || !res_ops->is_array()) return {};
    const auto& rq = req_ops->get_array();
    const auto& rs = res_ops->get_array();
    // The response lists the operations in request order, up to the point processing stopped.
    for (std::size_t i = 0; i < rs.size() && i < rq.size(); ++i) {
        const auto* r = rs[i].if_object();
        const auto* q = rq[i].if_object();
        if (!r || !q) continue;
        auto text = [](const boost::json::object& o, std::string_view k) {
            const auto* v = o.if_contains(k);
            return v && v->is_string() ? std::string(v->get_string()) : std::string();
        };
        const std::string method = text(*r, "method");
        const std::string status = text(*r, "status");
        if (status.empty() || status.front() != '2') continue;
        user_write w{method, {}, {}, false};
        const auto* d = q->if_contains("data");
        if (method == "POST") {
            w.user_id = user_id_in(text(*r, "location"));
            if (d && d->is_object()) w.display = text(d->get_object(), "userName");
        } else {
            w.user_id = user_id_in(text(*q, "path"));
            w.inactive = (method == "PUT" || method == "PATCH") && d && sets_inactive(method, *d);
        }
        // Inside the request's unit of work (app): no commit per operation to save by batching.
        if (auto f = follow_one(svc, a, org, w, removed); !f) return f.error();
    }
    return {};
}

}  // namespace

scim::result<void> admit_scim_request(directory_service& svc,
                                      const scim::request& req,
                                      const scim::caller& who) {
    if (who.tenant.empty() || req.method == "GET" || req.method == "HEAD") return {};
    if (req.method == "POST" && req.path.ends_with("/.search")) return {};
    auto org = svc.store().get_org(who.tenant);
    if (!org) {
        if (org.error() == store_errc::not_found) return {};
        return scim::to_scim_error(org.error(), "Organization");
    }
    if (org->status == "disabled") {
        return scim::error::forbidden("the organization is disabled: it serves no SCIM writes");
    }
    return {};
}

scim::result<std::optional<scim::response>> serve_member_write(directory_service& svc,
                                                               scim::resource_store& users,
                                                               const scim::resource_type& user_type,
                                                               const scim::request& req,
                                                               const scim::caller& who) {
    using none = std::optional<scim::response>;
    if (who.tenant.empty() || !who.can_write) return none{};
    if (req.method != "DELETE" && req.method != "PUT" && req.method != "PATCH") return none{};
    const auto [type, id] = split(req.path);
    if (!scim::iequals(type, "Users") || id.empty() || id == ".search") return none{};
    // A read first: the writes of home Users (nearly all) take no write transaction here.
    auto m = svc.listed_member(who.tenant, id);
    if (!m) return m.error();
    if (!*m) return none{};
    if (req.method == "DELETE") {
        // The If-Match test runs inside the transaction that ends the membership (on the unit of
        // work's connection, app opens one around every write), so no write slips in between.
        // The version is the one GET /Users/{id} and the list show for the member (the copy
        // User's, else the home User's), read through the same store.
        std::function<scim::result<void>()> check;
        if (auto h = req.header("if-match"); h && *h != "*") {
            const auto want = version_in(*h);
            if (!want) {
                return scim::error::precondition_failed(
                    "If-Match does not name a version of this resource");
            }
            check = [&, want]() -> scim::result<void> {
                auto rec = users.get(who.tenant, user_type, id, scim::fetch_options{false, false});
                if (!rec) return scim::to_scim_error(rec.error(), "User");
                if (rec->meta.version != *want) {
                    return scim::to_scim_error(store_errc::version_mismatch, "User");
                }
                return {};
            };
        }
        auto removed = svc.remove_listed_member(actor::from_caller(who), who.tenant, id, check);
        if (!removed) return removed.error();
        if (!*removed) return none{};  // gone meanwhile: the SCIM service answers
        scim::response done;
        done.status = 204;
        return std::optional<scim::response>(std::move(done));
    }
    const std::string kind(to_string((*m)->kind));
    return scim::error::bad_request(
        scim::scim_type::mutability,
        "this User is " + std::string(kind == "home" ? "a " : "an ") + kind +
            " member of the organization whose attributes belong to their home organization " +
            (*m)->home_org +
            ": PUT and PATCH are refused here; DELETE ends the membership in this organization");
}

scim::service::operation_hook member_write_hook(directory_service& svc,
                                                scim::resource_store& users,
                                                const scim::resource_type& user_type) {
    return [&svc, &users, &user_type](const scim::request& req,
                                      const scim::caller& who) -> std::optional<scim::response> {
        auto served = serve_member_write(svc, users, user_type, req, who);
        if (served) return std::move(*served);
        scim::response r;
        r.status = served.error().status;
        r.body = scim::to_body(served.error());
        r.set_header("Content-Type", "application/scim+json");
        return r;
    };
}

scim::result<void> follow_user_record(directory_service& svc,
                                      const scim::request& req,
                                      const scim::resource_record* written,
                                      const scim::caller& who,
                                      std::vector<membership_record>* removed) {
    if (written == nullptr || who.tenant.empty()) return {};
    // A staged write is a POST to /Users or /Groups or a PUT or PATCH of one resource.
    if (!scim::iequals(split(req.path).first, "Users")) return {};
    return follow_one(svc, actor::from_caller(who), who.tenant,
                      written_user(req.method, written->id, written->attrs), removed);
}

scim::result<void> follow_user_write(directory_service& svc,
                                     const scim::request& req,
                                     const scim::response& res,
                                     const scim::caller& who,
                                     std::vector<membership_record>* removed) {
    if (res.status >= 300 || who.tenant.empty()) return {};
    const auto [type, id] = split(req.path);
    if (req.method == "POST" && scim::iequals(type, "Bulk") && id.empty()) {
        return follow_bulk(svc, req, res, actor::from_caller(who), who.tenant, removed);
    }
    if (!scim::iequals(type, "Users") || id == ".search") return {};
    user_write w{req.method, std::string(id), {}, false};
    if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
        boost::system::error_code ec;
        auto body = boost::json::parse(res.body, ec);
        // A PATCH may answer 204 without a body: then there is nothing to follow here.
        if (ec || !body.is_object()) return {};
        const auto& o = body.get_object();
        const auto* uid = o.if_contains("id");
        if (!uid || !uid->is_string()) return {};
        if (req.method == "POST" && !id.empty()) return {};
        w = written_user(req.method, std::string(uid->get_string()), o);
    } else if (req.method != "DELETE") {
        return {};
    }
    return follow_one(svc, actor::from_caller(who), who.tenant, w, removed);
}

}  // namespace orgscim::plugin::orgs
