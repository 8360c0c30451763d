#pragma once
// Attribute and schema descriptors (RFC 7643 §2, §7) and the registry of resource types. The
// engine enforces exactly what these descriptors say, and /Schemas publishes them, so the two
// cannot drift apart.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace orgscim::scim {

enum class attr_type { string, boolean, decimal, integer, date_time, binary, reference, complex };
enum class mutability { read_only, read_write, immutable, write_only };
enum class returned { always, never, by_default, request };
enum class uniqueness { none, server, global };

struct attribute {
    std::string name;
    attr_type type = attr_type::string;
    bool multi_valued = false;
    bool required = false;
    bool case_exact = false;
    scim::mutability mutability = mutability::read_write;
    scim::returned returned = returned::by_default;
    scim::uniqueness uniqueness = uniqueness::none;
    std::string description;
    std::vector<std::string> canonical_values;
    std::vector<std::string> reference_types;
    std::vector<attribute> sub_attributes;

    /// Sub-attribute by name, case-insensitively (RFC 7643 §2.1); nullptr if absent.
    const attribute* sub(std::string_view n) const noexcept;
};

struct schema {
    std::string id;  ///< URN
    std::string name;
    std::string description;
    std::vector<attribute> attributes;

    const attribute* find(std::string_view n) const noexcept;
};

struct schema_extension {
    const schema* ext = nullptr;
    bool required = false;
};

struct resource_type {
    std::string id;        ///< "User"
    std::string name;      ///< "User"
    std::string endpoint;  ///< "/Users"
    std::string description;
    const schema* core = nullptr;
    std::vector<schema_extension> extensions;

    /// The extension schema with this URN (case-insensitive), or nullptr.
    const schema* extension(std::string_view urn) const noexcept;
};

/// Owns schemas and resource types. Filled once at start-up (core types plus whatever the product
/// registers), then only read.
class schema_registry {
  public:
    const schema& add_schema(schema s);
    const resource_type& add_resource_type(resource_type t);

    const schema* find_schema(std::string_view urn) const noexcept;
    /// By endpoint segment without slash, case-insensitively: "Users" -> User.
    const resource_type* find_by_endpoint(std::string_view segment) const noexcept;
    const resource_type* find_by_id(std::string_view id) const noexcept;

    const std::vector<std::unique_ptr<schema>>& schemas() const noexcept { return schemas_; }
    const std::vector<std::unique_ptr<resource_type>>& resource_types() const noexcept {
        return types_;
    }

  private:
    std::vector<std::unique_ptr<schema>> schemas_;
    std::vector<std::unique_ptr<resource_type>> types_;
};

/// URNs of RFC 7643.
inline constexpr std::string_view user_schema_urn = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view group_schema_urn = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view enterprise_user_urn =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
inline constexpr std::string_view list_response_urn =
    "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr std::string_view patch_op_urn = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
inline constexpr std::string_view error_urn = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Registers User, Group and the Enterprise User extension (RFC 7643 §4) into `reg`.
void register_core_schemas(schema_registry& reg);

/// The common attributes of RFC 7643 §3.1 that every resource type has: `id` (readOnly,
/// caseExact), `externalId` (readWrite, caseExact) and `meta` (readOnly complex: resourceType,
/// created, lastModified, location, version). Paths bind to these before the core schema.
const std::vector<attribute>& common_attributes();

/// A common attribute by name (case-insensitive), or nullptr.
const attribute* find_common_attribute(std::string_view n) noexcept;

/// Case-insensitive ASCII comparison used for attribute names and URNs.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace orgscim::scim
