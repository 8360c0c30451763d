// /Bulk (RFC 7644 §3.7): limits checked before parsing, bulkId references resolved across
// operations in dependency order, cycles reported per operation, failOnErrors honoured. Each
// operation runs through the same dispatch as a single request, so it gets the same checks,
// after the host's operation hook (the rules a host applies to single requests before the
// service).

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <orgscim/scim/json.hpp>
#include <orgscim/scim/schema.hpp>
#include <set>

#include "service_impl.hpp"

namespace orgscim::scim {

using namespace detail;

namespace {

constexpr std::string_view bulk_request_urn = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
constexpr std::string_view bulk_response_urn = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
constexpr std::string_view ref_prefix = "bulkId:";

struct operation {
    std::size_t index = 0;
    std::string method;
    std::string path;
    std::string bulk_id;
    std::optional<std::string> version;
    boost::json::value data;
    std::set<std::string> refs;
    std::optional<error> invalid;
};

void collect_refs(const boost::json::value& v, std::set<std::string>& out) {
    if (v.is_string()) {
        std::string_view s = v.as_string();
        if (s.starts_with(ref_prefix)) out.emplace(s.substr(ref_prefix.size()));
    } else if (v.is_array()) {
        for (const auto& e : v.as_array()) collect_refs(e, out);
    } else if (v.is_object()) {
        for (const auto& kv : v.as_object()) collect_refs(kv.value(), out);
    }
}

void collect_path_refs(std::string_view path, std::set<std::string>& out) {
    for (auto pos = path.find(ref_prefix); pos != std::string_view::npos;
         pos = path.find(ref_prefix, pos + 1)) {
        auto id = path.substr(pos + ref_prefix.size());
        id = id.substr(0, id.find('/'));
        out.emplace(id);
    }
}

void substitute(boost::json::value& v, const std::map<std::string, std::string>& ids) {
    if (v.is_string()) {
        std::string_view s = v.as_string();
        if (s.starts_with(ref_prefix)) {
            auto it = ids.find(std::string(s.substr(ref_prefix.size())));
            if (it != ids.end()) v = it->second;
        }
    } else if (v.is_array()) {
        for (auto& e : v.as_array()) substitute(e, ids);
    } else if (v.is_object()) {
        for (auto& kv : v.as_object()) substitute(kv.value(), ids);
    }
}

// Each bulkId:<id> segment (as collect_path_refs reads it) is looked up, rather than every
// resolved bulkId searched for in the path: that made a 1,000-operation Bulk quadratic.
std::string substitute_path(std::string path, const std::map<std::string, std::string>& ids) {
    for (auto pos = path.find(ref_prefix); pos != std::string::npos;
         pos = path.find(ref_prefix, pos)) {
        const auto start = pos + ref_prefix.size();
        const auto end = std::min(path.find('/', start), path.size());
        const auto it = ids.find(path.substr(start, end - start));
        if (it == ids.end()) {
            pos = end;
            continue;
        }
        path.replace(pos, end - pos, it->second);
        pos += it->second.size();
    }
    return path;
}

operation read_operation(const boost::json::value& v, std::size_t index) {
    operation op;
    op.index = index;
    auto bad = [&](std::string detail) {
        op.invalid = error::bad_request(scim_type::invalid_value,
                                        "Operations[" + std::to_string(index) + "]: " + detail);
        return op;
    };
    if (!v.is_object()) return bad("must be an object");
    const auto& o = v.as_object();
    for (const auto& kv : o) {
        std::string_view k = kv.key();
        const auto& val = kv.value();
        if (iequals(k, "method") && val.is_string()) {
            op.method = val.as_string();
            for (auto& c : op.method) c = static_cast<char>(std::toupper(c));
        } else if (iequals(k, "path") && val.is_string()) {
            op.path = val.as_string();
        } else if (iequals(k, "bulkId") && val.is_string()) {
            op.bulk_id = val.as_string();
        } else if (iequals(k, "version") && val.is_string()) {
            op.version = std::string(val.as_string());
        } else if (iequals(k, "data")) {
            op.data = val;
        } else {
            return bad("unexpected member \"" + std::string(k) + "\" or wrong type");
        }
    }
    if (op.method != "POST" && op.method != "PUT" && op.method != "PATCH" &&
        op.method != "DELETE") {
        return bad("method must be POST, PUT, PATCH or DELETE");
    }
    if (op.path.empty() || op.path.front() != '/') return bad("path must start with '/'");
    if (op.method == "POST" && op.bulk_id.empty()) return bad("POST needs a bulkId");
    if (op.method != "DELETE" && !op.data.is_object()) return bad("data must be an object");
    collect_refs(op.data, op.refs);
    collect_path_refs(op.path, op.refs);
    if (!op.bulk_id.empty() && op.refs.count(op.bulk_id)) {
        op.invalid = error{409, scim_type::invalid_value,
                           "Operations[" + std::to_string(index) +
                               "] references its own bulkId \"" + op.bulk_id + "\""};
    }
    return op;
}

boost::json::object outcome(const operation& op,
                            int status,
                            const response* r,
                            const std::optional<error>& e) {
    boost::json::object o;
    o["method"] = op.method;
    if (!op.bulk_id.empty()) o["bulkId"] = op.bulk_id;
    o["status"] = std::to_string(status);
    if (r) {
        for (const auto& [k, v] : r->headers) {
            if (iequals(k, "Location")) o["location"] = v;
            if (iequals(k, "ETag")) o["version"] = v;
        }
    }
    if (e) {
        o["response"] = to_json(*e);
    } else if (r && status >= 400) {
        boost::system::error_code ec;
        auto body = boost::json::parse(r->body, ec);
        if (!ec) o["response"] = std::move(body);
    }
    return o;
}

}  // namespace

response service::impl::bulk(const request& req, const caller& who) const {
    if (req.body.size() > cfg.bulk.max_payload_bytes) {
        return error_response(error::payload_too_large(
            "the bulk request is " + std::to_string(req.body.size()) +
            " bytes; maxPayloadSize is " + std::to_string(cfg.bulk.max_payload_bytes)));
    }
    auto parsed = parse_json(req.body, cfg.max_json_depth);
    if (!parsed) return error_response(parsed.error());
    if (!parsed->is_object()) {
        return error_response(
            error::bad_request(scim_type::invalid_syntax, "the body must be a JSON object"));
    }
    auto& body = parsed->as_object();
    bool schema_ok = false;
    if (auto* s = body.if_contains("schemas"); s && s->is_array()) {
        for (const auto& u : s->as_array()) {
            schema_ok = schema_ok || (u.is_string() && iequals(u.as_string(), bulk_request_urn));
        }
    }
    if (!schema_ok) {
        return error_response(error::bad_request(
            scim_type::invalid_syntax, "\"schemas\" must list " + std::string(bulk_request_urn)));
    }
    auto* ops_v = body.if_contains("Operations");
    if (!ops_v || !ops_v->is_array()) {
        return error_response(
            error::bad_request(scim_type::invalid_syntax, "\"Operations\" must be an array"));
    }
    const auto& ops_json = ops_v->as_array();
    if (ops_json.size() > cfg.bulk.max_operations) {
        return error_response(error::payload_too_large(
            "the bulk request has " + std::to_string(ops_json.size()) +
            " operations; maxOperations is " + std::to_string(cfg.bulk.max_operations)));
    }
    std::int64_t fail_on_errors = 0;  // 0: never stop
    if (auto* f = body.if_contains("failOnErrors")) {
        if (!f->is_int64() || f->as_int64() < 0) {
            return error_response(error::bad_request(
                scim_type::invalid_value, "\"failOnErrors\" must be a non-negative integer"));
        }
        fail_on_errors = f->as_int64();
    }

    std::vector<operation> ops;
    ops.reserve(ops_json.size());
    std::set<std::string> declared;
    for (std::size_t i = 0; i < ops_json.size(); ++i) {
        ops.push_back(read_operation(ops_json[i], i));
        if (!ops.back().bulk_id.empty() && !declared.insert(ops.back().bulk_id).second &&
            !ops.back().invalid) {
            ops.back().invalid = error::bad_request(
                scim_type::invalid_value, "bulkId \"" + ops.back().bulk_id + "\" is not unique");
        }
    }

    std::map<std::string, std::string> resolved;  // bulkId -> created id
    std::set<std::string> failed;                 // bulkIds whose operation failed
    boost::json::array results;
    std::int64_t errors = 0;
    std::vector<bool> done(ops.size(), false);
    std::size_t remaining = ops.size();

    auto record = [&](const operation& op, int status, const response* r,
                      const std::optional<error>& e) {
        results.emplace_back(outcome(op, status, r, e));
        if (status >= 400) {
            ++errors;
            if (!op.bulk_id.empty()) failed.insert(op.bulk_id);
        }
    };
    auto stop = [&] { return fail_on_errors > 0 && errors >= fail_on_errors; };

    while (remaining > 0 && !stop()) {
        bool progress = false;
        for (std::size_t i = 0; i < ops.size() && !stop(); ++i) {
            if (done[i]) continue;
            auto& op = ops[i];
            std::optional<error> e = op.invalid;
            if (!e) {
                bool ready = true;
                for (const auto& ref : op.refs) {
                    if (failed.count(ref) || !declared.count(ref)) {
                        e = error{409, scim_type::invalid_value,
                                  "bulkId \"" + ref + "\" did not produce a resource"};
                        break;
                    }
                    ready = ready && resolved.count(ref);
                }
                if (!e && !ready) continue;
            }
            done[i] = true;
            --remaining;
            progress = true;
            if (e) {
                record(op, e->status, nullptr, e);
                continue;
            }
            request sub;
            sub.method = op.method;
            sub.path = substitute_path(op.path, resolved);
            if (sub.path.find("/Bulk") == 0 || sub.path.find("/bulk") == 0) {
                record(op, 400, nullptr,
                       error::bad_request(scim_type::invalid_path, "Bulk cannot be nested"));
                continue;
            }
            substitute(op.data, resolved);
            if (!op.data.is_null()) sub.body = boost::json::serialize(op.data);
            sub.headers.emplace_back("content-type", std::string(scim_content_type));
            if (op.version) sub.headers.emplace_back("if-match", *op.version);
            sub.base_url = req.base_url;
            response r = dispatch(sub, who);
            if (op.method == "POST" && r.status == 201) {
                for (const auto& [k, v] : r.headers) {
                    if (iequals(k, "Location")) resolved[op.bulk_id] = v.substr(v.rfind('/') + 1);
                }
            }
            record(op, r.status, &r, std::nullopt);
        }
        if (!progress) {
            // Whatever is left waits on itself through other operations: a cycle (§3.7.1).
            for (std::size_t i = 0; i < ops.size() && !stop(); ++i) {
                if (done[i]) continue;
                done[i] = true;
                --remaining;
                record(ops[i], 409, nullptr,
                       error{409, scim_type::invalid_value,
                             "circular bulkId reference in Operations[" + std::to_string(i) + "]"});
            }
        }
    }

    boost::json::object out;
    out["schemas"] = boost::json::array{boost::json::string(bulk_response_urn)};
    out["Operations"] = std::move(results);
    return json_response(200, out);
}

}  // namespace orgscim::scim
