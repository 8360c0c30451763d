// Discovery (RFC 7644 §4): what the server supports, generated from the same descriptors and
// configuration the engine enforces, so that what is advertised is what works.

#include <boost/json.hpp>
#include <orgscim/scim/schema.hpp>

#include "service_impl.hpp"

namespace orgscim::scim {

using namespace detail;

namespace {

constexpr std::string_view spc_urn = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
constexpr std::string_view rt_urn = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
constexpr std::string_view schema_urn = "urn:ietf:params:scim:schemas:core:2.0:Schema";

std::string_view name(attr_type t) {
    switch (t) {
        case attr_type::string:
            return "string";
        case attr_type::boolean:
            return "boolean";
        case attr_type::decimal:
            return "decimal";
        case attr_type::integer:
            return "integer";
        case attr_type::date_time:
            return "dateTime";
        case attr_type::binary:
            return "binary";
        case attr_type::reference:
            return "reference";
        case attr_type::complex:
            return "complex";
    }
    return "string";
}
std::string_view name(mutability m) {
    switch (m) {
        case mutability::read_only:
            return "readOnly";
        case mutability::read_write:
            return "readWrite";
        case mutability::immutable:
            return "immutable";
        case mutability::write_only:
            return "writeOnly";
    }
    return "readWrite";
}
std::string_view name(returned r) {
    switch (r) {
        case returned::always:
            return "always";
        case returned::never:
            return "never";
        case returned::by_default:
            return "default";
        case returned::request:
            return "request";
    }
    return "default";
}
std::string_view name(uniqueness u) {
    switch (u) {
        case uniqueness::none:
            return "none";
        case uniqueness::server:
            return "server";
        case uniqueness::global:
            return "global";
    }
    return "none";
}

boost::json::array strings(const std::vector<std::string>& v) {
    boost::json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

boost::json::object describe(const attribute& a) {
    boost::json::object o;
    o["name"] = a.name;
    o["type"] = name(a.type);
    o["multiValued"] = a.multi_valued;
    o["description"] = a.description;
    o["required"] = a.required;
    if (a.type == attr_type::string || a.type == attr_type::reference) {
        o["caseExact"] = a.case_exact;
    }
    if (!a.canonical_values.empty()) o["canonicalValues"] = strings(a.canonical_values);
    if (!a.reference_types.empty()) o["referenceTypes"] = strings(a.reference_types);
    o["mutability"] = name(a.mutability);
    o["returned"] = name(a.returned);
    o["uniqueness"] = name(a.uniqueness);
    if (!a.sub_attributes.empty()) {
        boost::json::array subs;
        for (const auto& s : a.sub_attributes) subs.emplace_back(describe(s));
        o["subAttributes"] = std::move(subs);
    }
    return o;
}

boost::json::object meta(std::string_view type, std::string location) {
    return {{"resourceType", type}, {"location", std::move(location)}};
}

boost::json::object describe(const schema& s, std::string_view base) {
    boost::json::object o;
    o["schemas"] = boost::json::array{boost::json::string(schema_urn)};
    o["id"] = s.id;
    o["name"] = s.name;
    o["description"] = s.description;
    boost::json::array attrs;
    for (const auto& a : s.attributes) attrs.emplace_back(describe(a));
    o["attributes"] = std::move(attrs);
    o["meta"] = meta("Schema", std::string(base) + "/Schemas/" + s.id);
    return o;
}

boost::json::object describe(const resource_type& t, std::string_view base) {
    boost::json::object o;
    o["schemas"] = boost::json::array{boost::json::string(rt_urn)};
    o["id"] = t.id;
    o["name"] = t.name;
    o["endpoint"] = t.endpoint;
    o["description"] = t.description;
    o["schema"] = t.core->id;
    boost::json::array exts;
    for (const auto& e : t.extensions) {
        exts.emplace_back(boost::json::object{{"schema", e.ext->id}, {"required", e.required}});
    }
    o["schemaExtensions"] = std::move(exts);
    o["meta"] = meta("ResourceType", std::string(base) + "/ResourceTypes/" + t.id);
    return o;
}

boost::json::object list_of(boost::json::array items) {
    boost::json::object o;
    o["schemas"] = boost::json::array{boost::json::string(list_response_urn)};
    o["totalResults"] = static_cast<std::int64_t>(items.size());
    o["itemsPerPage"] = static_cast<std::int64_t>(items.size());
    o["startIndex"] = 1;
    o["Resources"] = std::move(items);
    return o;
}

}  // namespace

response service::impl::discovery(const request& req) const {
    std::string_view path = req.path;
    if (path.starts_with('/')) path.remove_prefix(1);
    auto slash = path.find('/');
    std::string_view first = path.substr(0, slash);
    std::string_view rest = slash == std::string_view::npos ? "" : path.substr(slash + 1);
    const std::string& base = req.base_url;

    if (iequals(first, "ServiceProviderConfig")) {
        boost::json::object o;
        o["schemas"] = boost::json::array{boost::json::string(spc_urn)};
        o["documentationUri"] =
            "https://github.com/orgscim/orgscim/blob/main/docs/scim-compliance.md";
        o["patch"] = {{"supported", true}};
        o["bulk"] = {{"supported", true},
                     {"maxOperations", cfg.bulk.max_operations},
                     {"maxPayloadSize", cfg.bulk.max_payload_bytes}};
        o["filter"] = {{"supported", true}, {"maxResults", cfg.max_results}};
        o["changePassword"] = {{"supported", false}};
        o["sort"] = {{"supported", true}};
        o["etag"] = {{"supported", true}};
        o["authenticationSchemes"] = boost::json::array{boost::json::object{
            {"type", "oauthbearertoken"},
            {"name", "OAuth Bearer Token"},
            {"description",
             "A per-organization provisioning secret or an OAuth 2.0 access token (RFC 6750)"},
            {"primary", true}}};
        o["meta"] = meta("ServiceProviderConfig", base + "/ServiceProviderConfig");
        return json_response(200, o);
    }
    if (iequals(first, "ResourceTypes")) {
        if (rest.empty()) {
            boost::json::array items;
            for (const auto& t : reg.resource_types()) items.emplace_back(describe(*t, base));
            return json_response(200, list_of(std::move(items)));
        }
        const resource_type* t = reg.find_by_id(rest);
        if (!t) return error_response(error::not_found("no resource type " + std::string(rest)));
        return json_response(200, describe(*t, base));
    }
    if (rest.empty()) {
        boost::json::array items;
        for (const auto& s : reg.schemas()) items.emplace_back(describe(*s, base));
        return json_response(200, list_of(std::move(items)));
    }
    const schema* s = reg.find_schema(rest);
    if (!s) return error_response(error::not_found("no schema " + std::string(rest)));
    return json_response(200, describe(*s, base));
}

}  // namespace orgscim::scim
