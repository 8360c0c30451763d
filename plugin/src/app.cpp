#include <algorithm>
#include <array>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <orgscim/plugin/invitations/module.hpp>
#include <orgscim/plugin/orgs/invitation_directory.hpp>
#include <orgscim/plugin/orgs/orgs_api.hpp>
#include <orgscim/plugin/orgs/provisioning_hook.hpp>
#include <orgscim/plugin/waiter.hpp>
#include <orgscim/scim/error.hpp>
#include <orgscim/scim/schema.hpp>
#include <orgscim/scim/service.hpp>

#include "app_impl.hpp"
#include "auth.hpp"
#include "identity.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "responses.hpp"

namespace orgscim::plugin {

namespace {

using std::string_view;

std::int64_t system_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool ieq(string_view a, string_view b) noexcept { return scim::iequals(a, b); }

// Bearer JWTs (issue 4). Without OAuth tables (postgresql for now) orgscim issues no tokens but
// still trusts the configured external issuers.
std::shared_ptr<identity> make_identity(const config& cfg) {
    std::unique_ptr<oauth_store> store;
    try {
        store = open_oauth_store(cfg.storage);
    } catch (const startup_error& e) {
        log_warn("oauth token issuer disabled", {{"reason", e.what()}});
    }
    return std::make_shared<identity>(cfg, std::move(store));
}

// What the request pipeline learned, for the access log and metrics.
struct request_facts {
    route rt = route::not_found;
    bool org_path = false;
    string_view path;  // raw path, never the query
    std::string org;
    std::string credential_id;
};

constexpr std::size_t max_segments = 16;

// The decoded, normalized path: segments as views into one buffer (no per-segment allocation).
struct split_path {
    std::string buf;
    std::array<string_view, max_segments> seg{};
    std::size_t n = 0;
};

enum class path_problem { none, malformed, encoded_separator, dot_segment, too_deep };

path_problem split_target(string_view raw_path, split_path& out) {
    std::array<std::pair<std::size_t, std::size_t>, max_segments> spans{};
    out.buf.clear();
    out.buf.reserve(raw_path.size());
    std::size_t i = 0;
    while (i < raw_path.size()) {
        if (raw_path[i] == '/') {
            ++i;
            continue;
        }
        const std::size_t start = out.buf.size();
        while (i < raw_path.size() && raw_path[i] != '/') {
            char c = raw_path[i];
            if (c == '%') {
                if (i + 2 >= raw_path.size()) return path_problem::malformed;
                const int hi = hex_value(raw_path[i + 1]);
                const int lo = hex_value(raw_path[i + 2]);
                if (hi < 0 || lo < 0) return path_problem::malformed;
                c = static_cast<char>(hi * 16 + lo);
                if (c == '/' || c == '\\' || c == '\0') return path_problem::encoded_separator;
                i += 3;
            } else {
                ++i;
            }
            out.buf += c;
        }
        const std::size_t len = out.buf.size() - start;
        const string_view s(out.buf.data() + start, len);
        if (s == "." || s == "..") return path_problem::dot_segment;
        if (out.n == max_segments) return path_problem::too_deep;
        spans[out.n++] = {start, len};
    }
    for (std::size_t k = 0; k < out.n; ++k) {
        out.seg[k] = string_view(out.buf.data() + spans[k].first, spans[k].second);
    }
    return path_problem::none;
}

route classify(const string_view* rest, std::size_t n) noexcept {
    if (n == 0) return route::scim_root;
    const string_view a = rest[0];
    if (n == 1) {
        if (ieq(a, "ServiceProviderConfig")) return route::service_provider_config;
        if (ieq(a, "ResourceTypes")) return route::resource_types;
        if (ieq(a, "Schemas")) return route::schemas;
        if (ieq(a, "Bulk")) return route::bulk;
        if (a == ".search") return route::search_root;
        if (ieq(a, "Users")) return route::users;
        if (ieq(a, "Groups")) return route::groups;
        return route::other_type;
    }
    if (n == 2) {
        const bool search = rest[1] == ".search";
        if (ieq(a, "ResourceTypes")) return route::resource_type_by_id;
        if (ieq(a, "Schemas")) return route::schema_by_id;
        if (ieq(a, "Users")) return search ? route::users_search : route::user_by_id;
        if (ieq(a, "Groups")) return search ? route::groups_search : route::group_by_id;
        return search ? route::other_type_search : route::other_type_by_id;
    }
    return route::not_found;
}

class app_impl final : public app {
  public:
    app_impl(const config& cfg, std::unique_ptr<backend> store, std::function<std::int64_t()> now)
        : cfg_(cfg),
          backend_(std::move(store)),
          identity_(make_identity(cfg_)),
          auth_(*backend_,
                now ? std::move(now) : std::function<std::int64_t()>(&system_now_ms),
                identity_,
                cfg_.server.credential_cache_ms) {
        scim::register_core_schemas(registry_);
        orgs::register_org_types(registry_);  // /Organizations, /Events: served by orgs_api_
        service_ = std::make_unique<scim::service>(cfg_.scim, registry_, *backend_);
        users_type_ = registry_.find_by_endpoint("Users");
        try {
            directory_ = open_directory(cfg_.storage);
            orgs_svc_ = std::make_unique<orgs::directory_service>(*directory_);
            orgs_api_ = std::make_unique<orgs::orgs_api>(cfg_.scim, *orgs_svc_);
            // Writes on a non-home member's /Users entry, alone or inside Bulk.
            if (users_type_) {
                service_->set_write_hook(
                    orgs::member_write_hook(*orgs_svc_, *backend_, *users_type_));
            }
        } catch (const startup_error& e) {
            log_warn("organization endpoints disabled", {{"reason", e.what()}});
        }
        start_invitations();
        const std::string prefix = cfg_.public_base_url + cfg_.base_path;
        scim_base_ = prefix + "/scim/v2";
        org_base_prefix_ = prefix + "/o/";
        split_path bp;
        split_target(cfg_.base_path, bp);
        for (std::size_t i = 0; i < bp.n; ++i) owned_base_.emplace_back(bp.seg[i]);
    }

    scim::response handle(const http_request& req) override {
        const auto t0 = std::chrono::steady_clock::now();
        request_facts facts;
        scim::response res;
        try {
            res = dispatch(req, facts);
        } catch (const std::exception& e) {
            log_error("unhandled exception", {{"what", e.what()}, {"path", facts.path}});
            res = error_response(scim::error::internal());
        } catch (...) {
            if (waiter::unwinding()) throw;  // a coroutine's stack going away, not a failure
            log_error("unhandled exception", {{"what", "unknown"}, {"path", facts.path}});
            res = error_response(scim::error::internal());
        }
        if (res.status == 503 &&
            std::none_of(res.headers.begin(), res.headers.end(),
                         [](const auto& h) { return h.first == "Retry-After"; })) {
            // The database is away (restart, failover): clients back off and come again.
            res.headers.emplace_back("Retry-After", std::string(database_retry_after_s));
        }
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
        metrics_.record(facts.rt, facts.org_path, req.method, res.status, took.count());
        if (cfg_.server.access_log) {
            log_access({req.method, route_template(facts.rt, facts.org_path), facts.path,
                        res.status, took.count() * 1000.0, res.body.size(), facts.org,
                        facts.credential_id, req.remote_addr});
        }
        return res;
    }

    bool ready() const override { return backend_->healthy() && identity_->ready(); }

    const config& configuration() const override { return cfg_; }

  private:
    // Issue 6: /Invitations, /AccessRequests and the invitee's link, over the org model.
    void start_invitations() {
        if (!orgs_svc_) return;
        try {
            inv_dir_ =
                std::make_unique<orgs::invitation_directory>(*orgs_svc_, *backend_, registry_);
            inv_ = std::make_unique<invitations::module>(
                cfg_, cfg_.invitations ? *cfg_.invitations : invitations::module_config{},
                *inv_dir_, registry_);
            inv_->start();
        } catch (const startup_error& e) {
            log_warn("invitations disabled", {{"reason", e.what()}});
            inv_.reset();
        }
    }

    // <base>/invitations/{token}[/accept|/decline]: the link in the email. The token is a
    // credential, so facts.path (the access log) gets the route template instead.
    scim::response invitation_link(const http_request& req,
                                   const string_view* s,
                                   std::size_t n,
                                   request_facts& facts) {
        facts.rt = route::invitation_link;
        facts.path = n == 2 ? string_view("/invitations/{token}")
                            : (s[2] == "accept" ? string_view("/invitations/{token}/accept")
                                                : string_view("/invitations/{token}/decline"));
        if (!inv_) return error_response(scim::error::unavailable("invitations unavailable"));
        scim::request lreq;
        lreq.method = req.method;
        lreq.path = "/invitations/";
        lreq.path += s[1];
        if (n == 3) {
            lreq.path += '/';
            lreq.path += s[2];
        }
        lreq.headers = req.headers;
        lreq.body = req.body;
        lreq.base_url = scim_base_;
        // The link itself needs no sign-in (GET shows the invitation); a token that comes along
        // must be a valid person's, and accept/decline need one (the handlers answer 401).
        const bool has_token =
            std::any_of(req.headers.begin(), req.headers.end(),
                        [](const auto& h) { return h.first == "authorization"; });
        if (!has_token) return inv_->http().handle_link(lreq, nullptr);
        auto who = signed_in(req, facts);
        if (!who) return to_response(who.error());
        return inv_->http().handle_link(lreq, &*who);
    }

    // The person behind a bearer token from a trusted issuer (invitees, access requesters).
    boost::system::result<invitations::verified_identity, auth_failure> signed_in(
        const http_request& req, request_facts& facts) {
        auto fail = [&](const auth_failure& f) {
            facts.credential_id = f.credential_id;
            log_warn("sign-in failed", {{"reason", f.reason},
                                        {"credential", f.credential_id},
                                        {"path", facts.path},
                                        {"remote", req.remote_addr}});
            return f;
        };
        auto token = bearer_token(req.headers);
        if (!token) return fail(token.error());
        if (!is_jwt_shaped(*token))
            return fail(invalid_token("a provisioning secret does not sign a person in"));
        auto p = identity_->verify_person(*token);
        if (!p) return fail(p.error());
        facts.credential_id = p->credential_id;
        invitations::verified_identity who;
        who.issuer = std::move(p->issuer);
        who.subject = std::move(p->subject);
        who.email = std::move(p->email);
        who.email_verified = p->email_verified;
        who.display_name = std::move(p->name);
        return who;
    }

    scim::response dispatch(const http_request& req, request_facts& facts) {
        const string_view target = req.target;
        const auto q = target.find('?');
        facts.path = target.substr(0, q);
        if (target.empty() || target.front() != '/' || !boost::urls::parse_origin_form(target)) {
            return error_response(scim::error::bad_request(scim::scim_type::invalid_syntax,
                                                           "malformed request target"));
        }
        split_path sp;
        switch (split_target(facts.path, sp)) {
            case path_problem::none:
                break;
            case path_problem::malformed:
                return error_response(scim::error::bad_request(
                    scim::scim_type::invalid_syntax, "malformed percent-encoding in path"));
            case path_problem::encoded_separator:
                return error_response(scim::error::bad_request(
                    scim::scim_type::invalid_syntax,
                    "encoded '/', '\\' or NUL is not allowed in a path segment"));
            case path_problem::dot_segment:
                return error_response(scim::error::bad_request(
                    scim::scim_type::invalid_syntax, "'.' and '..' path segments are not allowed"));
            case path_problem::too_deep:
                return not_found();
        }
        // Strip base_path.
        if (sp.n < owned_base_.size()) return not_found();
        for (std::size_t i = 0; i < owned_base_.size(); ++i) {
            if (sp.seg[i] != owned_base_[i]) return not_found();
        }
        const string_view* s = sp.seg.data() + owned_base_.size();
        const std::size_t n = sp.n - owned_base_.size();

        if (n == 1) {
            if (s[0] == "healthz") {
                facts.rt = route::healthz;
                if (!is_get(req.method)) return method_not_allowed();
                return text_response(200, "ok");
            }
            if (s[0] == "readyz") {
                facts.rt = route::readyz;
                if (!is_get(req.method)) return method_not_allowed();
                return ready() ? text_response(200, "ready") : text_response(503, "not ready");
            }
            if (s[0] == "metrics") {
                facts.rt = route::metrics;
                if (!is_get(req.method)) return method_not_allowed();
                return text_response(200, metrics_.render(), "text/plain; version=0.0.4");
            }
        }
        if (n == 2 && identity_->issues_tokens()) {
            if (s[0] == "oauth2" && s[1] == "token") {
                facts.rt = route::oauth_token;
                if (req.method != "POST") return method_not_allowed("POST");
                return identity_->token_endpoint(req);  // reads clients and signs: no unit
            }
            if (s[0] == "oauth2" && s[1] == "jwks") {
                facts.rt = route::oauth_jwks;
                if (!is_get(req.method)) return method_not_allowed();
                return identity_->jwks();
            }
            if (s[0] == ".well-known" &&
                (s[1] == "openid-configuration" || s[1] == "oauth-authorization-server")) {
                facts.rt = route::oauth_discovery;
                if (!is_get(req.method)) return method_not_allowed();
                return identity_->discovery();
            }
        }
        if ((n == 2 || (n == 3 && (s[2] == "accept" || s[2] == "decline"))) &&
            s[0] == "invitations") {
            return on_write_thread([&] { return invitation_link(req, s, n, facts); });
        }
        if (n >= 2 && s[0] == "scim" && s[1] == "v2") {
            return scim_request(req, target, q, s + 2, n - 2, {}, facts);
        }
        if (n >= 4 && s[0] == "o" && s[2] == "scim" && s[3] == "v2" && !s[1].empty()) {
            facts.org_path = true;
            return scim_request(req, target, q, s + 4, n - 4, s[1], facts);
        }
        return not_found();
    }

    scim::response scim_request(const http_request& req,
                                string_view target,
                                std::size_t query_pos,
                                const string_view* rest,
                                std::size_t n,
                                string_view path_org,
                                request_facts& facts) {
        facts.rt = classify(rest, n);

        scim::request sreq;
        sreq.method = req.method;
        std::size_t len = 0;
        for (std::size_t i = 0; i < n; ++i) len += rest[i].size() + 1;
        sreq.path.reserve(len == 0 ? 1 : len);
        for (std::size_t i = 0; i < n; ++i) {
            sreq.path += '/';
            sreq.path += rest[i];
        }
        if (n == 0) sreq.path = "/";

        if (query_pos != string_view::npos) {
            const auto u = boost::urls::parse_origin_form(target);
            for (const auto& p : u->params()) {
                if (p.key == "access_token") {
                    // RFC 6750 §2.3: tokens in URLs end up in logs; refuse rather than ignore.
                    return to_response(invalid_request("access_token in the query string"));
                }
                sreq.query.emplace_back(p.key, p.value);
            }
        }

        if (inv_ && req.method == "POST" && n == 1 &&
            boost::algorithm::iequals(rest[0], std::string_view("AccessRequests"))) {
            // Asking to join needs a signed-in person, not a permission in the organization.
            auto person = signed_in(req, facts);
            if (!person) return to_response(person.error());
            scim::caller asker;
            asker.tenant = std::string(path_org);
            asker.subject = person->key();
            asker.credential_id = facts.credential_id;
            complete(sreq, req, path_org);
            return on_write_thread(
                [&] { return *inv_->http().handle_scim(sreq, asker, &*person); });
        }

        scim::caller who;
        const bool anonymous = is_get(req.method) && scim::service::is_discovery(sreq.path);
        if (!anonymous) {
            auto authed = auth_.authenticate(req.headers);
            const bool search = n >= 1 && rest[n - 1] == ".search" && req.method == "POST";
            if (auto person = as_person(authed, path_org, facts, !is_get(req.method) && !search)) {
                if (!*person) return std::move(person->error());
                complete(sreq, req, path_org);
                facts.org = (*person)->tenant;
                return serve(sreq, **person, path_org, facts);
            }
            if (!authed) {
                const auto& f = authed.error();
                facts.credential_id = f.credential_id;
                log_warn("authentication failed", {{"reason", f.reason},
                                                   {"credential", f.credential_id},
                                                   {"path", facts.path},
                                                   {"remote", req.remote_addr}});
                return to_response(f);
            }
            who = std::move(*authed);
            facts.credential_id = who.credential_id;
            if (!path_org.empty() && path_org != who.tenant) {
                // Same answer whether or not the organization exists: nothing leaks.
                log_warn("organization mismatch", {{"credential", who.credential_id},
                                                   {"token_org", who.tenant},
                                                   {"path", facts.path}});
                return not_found();
            }
            facts.org = who.tenant;
            const bool write = !is_get(req.method) && !search;
            if ((write && !who.can_write) || !who.can_read) {
                auto f = insufficient_scope(
                    write ? "read-only credential attempted a write" : "credential cannot read",
                    who.credential_id);
                log_warn("authorization failed", {{"reason", f.reason},
                                                  {"credential", who.credential_id},
                                                  {"path", facts.path}});
                return to_response(f);
            }
        }

        complete(sreq, req, path_org);
        return serve(sreq, who, path_org, facts);
    }

    // A person the directory knows (their token's iss|sub, or tid|oid) acts on an organization's
    // Users and Groups with the permissions their roles give them there: their own membership,
    // roles inherited from a managing parent, group-to-role mappings (issue 5). The SCIM
    // permissions of the token itself play no part for them. nullopt for everyone else (app
    // tokens, provisioning secrets, people the directory does not know, other routes), whom the
    // token's own permissions decide. The target is the organization in the path, else the one
    // the issuer is bound to, else the person's home organization. No permission there at all:
    // 404 when the path names it (nothing leaks about organizations they cannot see), else 403;
    // some, but not the one the request needs: 403.
    std::optional<boost::system::result<scim::caller, scim::response>> as_person(
        const auth_result& authed, string_view path_org, request_facts& facts, bool write) {
        using P = orgs::permission;
        orgs::permission_set need;
        switch (facts.rt) {
            case route::users:
            case route::user_by_id:
            case route::users_search:
            case route::search_root:
                need = write ? orgs::permission_set{P::write_users}
                             : orgs::permission_set{P::read_users};
                break;
            case route::groups:
            case route::group_by_id:
            case route::groups_search:
                need = write ? orgs::permission_set{P::manage_groups}
                             : orgs::permission_set{P::read_users};
                break;
            case route::bulk:
                need = {P::write_users, P::manage_groups};
                break;
            default:
                return std::nullopt;
        }
        if (!orgs_svc_) return std::nullopt;
        std::string key;
        std::string credential;
        std::string bound_org;
        if (authed) {
            if (!authed->credential_id.starts_with("jwt:")) return std::nullopt;
            key = authed->subject;
            credential = authed->credential_id;
            bound_org = authed->tenant;
        } else {
            // A signed-in person's token often carries no SCIM scope: authenticate() verified it
            // and answered 403 naming the person, whose roles may still allow the request.
            const auto& f = authed.error();
            if (f.status != 403 || f.subject.empty()) return std::nullopt;
            key = f.subject;
            credential = f.credential_id;
        }
        const auto bar = key.find('|');
        if (bar == std::string::npos) return std::nullopt;
        auto a = orgs_svc_->person(string_view(key).substr(0, bar),
                                   string_view(key).substr(bar + 1), credential);
        if (!a) return error_response(a.error());
        if (!a->identity_id) return std::nullopt;
        facts.credential_id = credential;
        std::string target(path_org);
        if (target.empty()) target = bound_org;
        if (target.empty()) {
            auto i = orgs_svc_->store().get_identity(*a->identity_id);
            if (!i) return error_response(scim::to_scim_error(i.error(), "identity"));
            target = i->home_org;
        }
        auto perms = orgs_svc_->permissions(*a, target);
        if (!perms) return error_response(perms.error());
        if (!perms->covers(need)) {
            log_warn("authorization failed", {{"reason", "the person's roles do not allow it"},
                                              {"credential", credential},
                                              {"org", target},
                                              {"path", facts.path}});
            if (perms->empty() && !path_org.empty() && path_org != bound_org) return not_found();
            return to_response(insufficient_scope(
                "the person's roles in the organization do not allow this request", credential));
        }
        scim::caller who;
        who.tenant = std::move(target);
        who.subject = std::move(key);
        who.credential_id = std::move(credential);
        who.can_read = true;
        who.can_write = write;
        return who;
    }

    // Headers, body and the base URL (for locations and $ref) of an authorized request.
    void complete(scim::request& sreq, const http_request& req, string_view path_org) const {
        sreq.headers = req.headers;
        sreq.body = req.body;
        if (path_org.empty()) {
            sreq.base_url = scim_base_;
        } else {
            sreq.base_url.reserve(org_base_prefix_.size() + path_org.size() + 8);
            sreq.base_url = org_base_prefix_;
            sreq.base_url += path_org;
            sreq.base_url += "/scim/v2";
        }
    }

    // The SCIM service, or the organization endpoints (issue 5), and the follow-up of user
    // writes into the organization model.
    scim::response serve(const scim::request& sreq,
                         const scim::caller& who,
                         string_view path_org,
                         const request_facts& facts) {
        // Organization management (members, roles, events, invitations, access requests) needs
        // the admin permission; SCIM provisioning needs read/write only (issue 4).
        const bool management = orgs::orgs_api::handles(sreq.path) ||
                                (inv_ && invitations::handlers::is_management_path(sreq.path));
        if (management && !who.can_admin) {
            auto f =
                insufficient_scope("credential cannot manage the organization", who.credential_id);
            log_warn(
                "authorization failed",
                {{"reason", f.reason}, {"credential", who.credential_id}, {"path", facts.path}});
            return to_response(f);
        }
        if (orgs::orgs_api::handles(sreq.path)) {
            if (!orgs_api_)
                return error_response(scim::error::unavailable("organizations unavailable"));
            return on_write_thread(
                [&] { return orgs_api_->handle(sreq, actor_for(who), path_org); });
        }
        if (inv_ && invitations::handlers::is_management_path(sreq.path)) {
            auto r = on_write_thread([&]() -> std::optional<scim::response> {
                if (auto ok = admitted(sreq, who); !ok) return error_response(ok.error());
                return inv_->http().handle_scim(sreq, who, nullptr);
            });
            if (r) return std::move(*r);  // else not a path the handlers serve after all
        }
        const bool search = sreq.method == "POST" && sreq.path.ends_with("/.search");
        if (is_get(sreq.method) || search) return service_->handle(sreq, who);
        if (auto staged = service_->stage(sreq, who)) {
            // Parsing and validation ran here and rendering follows here: only the store call,
            // with the admission check and the follow-up of its unit of work, goes to the
            // write thread (half of a POST /Users there, docs/performance.md).
            auto refused = on_write_thread([&] { return write_unit(sreq, who, facts, &*staged); });
            if (refused) return std::move(*refused);
            return staged->answer();
        }
        return *on_write_thread([&] { return write_unit(sreq, who, facts, nullptr); });
    }

    // A write, the admission check before it and its follow-up in the organization model
    // (the leaver's fan-out, a new identity) are one unit of work: both commit, or neither
    // does and the client gets the error; the check's read then runs on the unit's
    // connection (on SQLite the writer, whose page cache stays warm, not a read connection
    // that every commit empties). PostgreSQL may ask for the whole unit again
    // (serialization failure, deadlock); so may SQLite, whose first run goes without
    // savepoints (unit_mode::rerunnable), and whose second run has them.
    // With `staged`, the unit runs its store call and answers nullopt when the staged write
    // has the answer; without, the service serves the whole request inside the unit.
    std::optional<scim::response> write_unit(const scim::request& sreq,
                                             const scim::caller& who,
                                             const request_facts& facts,
                                             scim::service::staged_write* staged) {
        for (int attempt = 1;; ++attempt) {
            auto unit =
                backend_->begin_unit(attempt == 1 ? unit_mode::rerunnable : unit_mode::once);
            if (auto ok = admitted(sreq, who); !ok) return error_response(ok.error());
            std::optional<scim::response> res;
            scim::result<void> done;
            if (staged) {
                staged->store();
                done = follow_up(who, facts, [&](std::vector<membership_record>* gone) {
                    return orgs::follow_user_record(*orgs_svc_, sreq, staged->written(), who, gone);
                });
            } else {
                res = service_->handle(sreq, who);
                done = follow_up(who, facts, [&](std::vector<membership_record>* gone) {
                    return orgs::follow_user_write(*orgs_svc_, sreq, *res, who, gone);
                });
            }
            if (done && !unit->retry()) {
                if (auto c = unit->commit(); !c) done = scim::to_scim_error(c.error(), "write");
            }
            if (unit->retry()) {
                if (attempt < 3) continue;
                return error_response(
                    scim::error::unavailable("the database kept refusing "
                                             "the write as conflicting; retry"));
            }
            if (!done) return error_response(done.error());
            return res;
        }
    }

    // A disabled organization takes no writes, SCIM or invitations (reads pass).
    scim::result<void> admitted(const scim::request& sreq, const scim::caller& who) {
        if (!orgs_svc_) return {};
        return orgs::admit_scim_request(*orgs_svc_, sreq, who);
    }

    // Runs `f` (which answers the request) where a write's unit of work belongs: on the host's
    // write thread when it has one (the Beast server on SQLite), else right here.
    template <class F>
    auto on_write_thread(F&& f) -> decltype(f()) {
        std::optional<decltype(f())> out;
        const std::function<void()> work = [&] { out.emplace(f()); };
        if (waiter* w = waiter::current(); w == nullptr || !w->run_on_writer(work)) work();
        return std::move(*out);
    }

    // What a SCIM write leads to in the organization model, inside the write's unit of work:
    // a created User becomes an identity; a deprovisioned one leaves every other organization,
    // and the Users those organizations hold for the person (made when they accepted an
    // invitation) go too, with their group memberships there. Errors: 503/500, which roll the
    // whole unit back. `follow` is orgs::follow_user_write or follow_user_record.
    template <class Follow>
    scim::result<void> follow_up(const scim::caller& who,
                                 const request_facts& facts,
                                 Follow&& follow) {
        if (!orgs_svc_) return {};
        std::vector<membership_record> gone;
        if (auto f = follow(&gone); !f) {
            log_error("organization follow-up failed",
                      {{"org", who.tenant}, {"path", facts.path}, {"detail", f.error().detail}});
            return f;
        }
        for (const auto& m : gone) {
            if (!m.user_ref || !users_type_) continue;
            if (auto d = backend_->remove(m.org_id, *users_type_, *m.user_ref, std::nullopt);
                !d && d.error() != store_errc::not_found) {
                log_error("deprovision of a mapped user failed",
                          {{"org", m.org_id}, {"user", *m.user_ref}});
                return scim::to_scim_error(d.error(), "User");
            }
        }
        return {};
    }

    // A person's token (an external issuer's iss|sub that the directory knows) acts with that
    // person's roles across the tree (an MSP admin in every customer below); app tokens and
    // provisioning secrets act as credentials of their organization.
    orgs::actor actor_for(const scim::caller& who) {
        if (who.credential_id.starts_with("jwt:")) {
            const auto bar = who.subject.find('|');
            if (bar != std::string::npos) {
                auto p =
                    orgs_svc_->person(string_view(who.subject).substr(0, bar),
                                      string_view(who.subject).substr(bar + 1), who.credential_id);
                if (p && p->identity_id) return std::move(*p);
            }
        }
        return orgs::actor::from_caller(who);
    }

    static bool is_get(string_view m) noexcept { return m == "GET" || m == "HEAD"; }

    static scim::response not_found() {
        return error_response(scim::error::not_found("no such endpoint or resource"));
    }

    static scim::response method_not_allowed(string_view allow = "GET") {
        auto r = text_response(405, "method not allowed");
        r.headers.emplace_back("Allow", std::string(allow));
        return r;
    }

    config cfg_;
    std::unique_ptr<backend> backend_;
    scim::schema_registry registry_;
    std::unique_ptr<scim::service> service_;
    const scim::resource_type* users_type_ = nullptr;
    std::unique_ptr<directory_store> directory_;
    std::unique_ptr<orgs::directory_service> orgs_svc_;
    std::unique_ptr<orgs::orgs_api> orgs_api_;
    std::unique_ptr<orgs::invitation_directory> inv_dir_;
    std::unique_ptr<invitations::module> inv_;  // after inv_dir_: stopped before it goes
    std::shared_ptr<identity> identity_;
    authenticator auth_;
    metrics metrics_;
    std::string scim_base_;
    std::string org_base_prefix_;
    std::vector<std::string> owned_base_;
};

}  // namespace

std::shared_ptr<app> make_app(const config& cfg,
                              std::unique_ptr<backend> store,
                              std::function<std::int64_t()> now_ms) {
    if (!store) throw startup_error("no storage backend");
    return std::make_shared<app_impl>(cfg, std::move(store), std::move(now_ms));
}

std::shared_ptr<app> app::create(const config& cfg) {
    return make_app(cfg, open_backend(cfg.storage));
}

}  // namespace orgscim::plugin
