#include <orgscim/scim/schema.hpp>

namespace orgscim::scim {

namespace {

constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

attribute make_common(std::string name,
                      attr_type type,
                      bool case_exact,
                      scim::mutability m,
                      std::string description) {
    attribute a;
    a.name = std::move(name);
    a.type = type;
    a.case_exact = case_exact;
    a.mutability = m;
    a.description = std::move(description);
    return a;
}

std::vector<attribute> build_common() {
    std::vector<attribute> out;
    auto id = make_common("id", attr_type::string, true, mutability::read_only,
                          "Unique identifier for the SCIM resource as defined by the service "
                          "provider.");
    id.returned = returned::always;
    id.uniqueness = uniqueness::server;
    out.push_back(std::move(id));
    out.push_back(make_common("externalId", attr_type::string, true, mutability::read_write,
                              "Identifier for the resource as defined by the provisioning "
                              "client."));
    auto meta =
        make_common("meta", attr_type::complex, false, mutability::read_only, "Resource metadata.");
    meta.sub_attributes.push_back(make_common("resourceType", attr_type::string, true,
                                              mutability::read_only,
                                              "The name of the resource type."));
    meta.sub_attributes.push_back(make_common("created", attr_type::date_time, false,
                                              mutability::read_only,
                                              "When the resource was added."));
    meta.sub_attributes.push_back(make_common("lastModified", attr_type::date_time, false,
                                              mutability::read_only,
                                              "When the resource was last updated."));
    meta.sub_attributes.push_back(make_common("location", attr_type::reference, true,
                                              mutability::read_only, "The URI of the resource."));
    meta.sub_attributes.back().reference_types = {"uri"};
    meta.sub_attributes.push_back(make_common("version", attr_type::string, true,
                                              mutability::read_only,
                                              "The version (weak ETag) of the resource."));
    out.push_back(std::move(meta));
    return out;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

const attribute* attribute::sub(std::string_view n) const noexcept {
    for (const auto& s : sub_attributes)
        if (iequals(s.name, n)) return &s;
    return nullptr;
}

const attribute* schema::find(std::string_view n) const noexcept {
    for (const auto& a : attributes)
        if (iequals(a.name, n)) return &a;
    return nullptr;
}

const schema* resource_type::extension(std::string_view urn) const noexcept {
    for (const auto& e : extensions)
        if (e.ext && iequals(e.ext->id, urn)) return e.ext;
    return nullptr;
}

const schema& schema_registry::add_schema(schema s) {
    schemas_.push_back(std::make_unique<schema>(std::move(s)));
    return *schemas_.back();
}

const resource_type& schema_registry::add_resource_type(resource_type t) {
    types_.push_back(std::make_unique<resource_type>(std::move(t)));
    return *types_.back();
}

const schema* schema_registry::find_schema(std::string_view urn) const noexcept {
    for (const auto& s : schemas_)
        if (iequals(s->id, urn)) return s.get();
    return nullptr;
}

const resource_type* schema_registry::find_by_endpoint(std::string_view segment) const noexcept {
    for (const auto& t : types_) {
        std::string_view ep = t->endpoint;
        if (!ep.empty() && ep.front() == '/') ep.remove_prefix(1);
        if (iequals(ep, segment)) return t.get();
    }
    return nullptr;
}

const resource_type* schema_registry::find_by_id(std::string_view id) const noexcept {
    for (const auto& t : types_)
        if (iequals(t->id, id)) return t.get();
    return nullptr;
}

const std::vector<attribute>& common_attributes() {
    static const std::vector<attribute> common = build_common();
    return common;
}

const attribute* find_common_attribute(std::string_view n) noexcept {
    for (const auto& a : common_attributes())
        if (iequals(a.name, n)) return &a;
    return nullptr;
}

}  // namespace orgscim::scim
