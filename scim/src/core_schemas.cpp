// RFC 7643 §4 and §8.7.1 descriptors. Group displayName is uniqueness=server: a product decision
// (Entra ID matches groups by displayName and breaks on duplicates).
#include <orgscim/scim/schema.hpp>

namespace orgscim::scim {

namespace {

struct attr_builder {
    attribute a;

    explicit attr_builder(std::string name, attr_type t = attr_type::string) {
        a.name = std::move(name);
        a.type = t;
    }
    attr_builder& multi() {
        a.multi_valued = true;
        return *this;
    }
    attr_builder& required() {
        a.required = true;
        return *this;
    }
    attr_builder& exact() {
        a.case_exact = true;
        return *this;
    }
    attr_builder& mut(scim::mutability m) {
        a.mutability = m;
        return *this;
    }
    attr_builder& ret(scim::returned r) {
        a.returned = r;
        return *this;
    }
    attr_builder& unique(scim::uniqueness u) {
        a.uniqueness = u;
        return *this;
    }
    attr_builder& desc(std::string d) {
        a.description = std::move(d);
        return *this;
    }
    attr_builder& canonical(std::vector<std::string> v) {
        a.canonical_values = std::move(v);
        return *this;
    }
    attr_builder& refs(std::vector<std::string> v) {
        a.reference_types = std::move(v);
        return *this;
    }
    attr_builder& subs(std::vector<attribute> v) {
        a.sub_attributes = std::move(v);
        return *this;
    }
    operator attribute() const { return a; }  // NOLINT(google-explicit-constructor)
};

/// value/display/type/primary, the usual shape of a multi-valued attribute (RFC 7643 §2.4).
attribute plural(std::string name,
                 std::string description,
                 std::vector<std::string> types,
                 attr_type value_type = attr_type::string,
                 std::vector<std::string> value_refs = {}) {
    attr_builder value("value", value_type);
    if (!value_refs.empty()) value.refs(std::move(value_refs));
    return attr_builder(std::move(name), attr_type::complex)
        .multi()
        .desc(std::move(description))
        .subs({value.desc("The value of the attribute."),
               attr_builder("display").desc("A human-readable name, primarily for display."),
               attr_builder("type")
                   .canonical(std::move(types))
                   .desc("A label indicating the attribute's function."),
               attr_builder("primary", attr_type::boolean)
                   .desc("Indicates the primary or preferred value; at most one is true.")});
}

schema user_schema() {
    schema s;
    s.id = std::string(user_schema_urn);
    s.name = "User";
    s.description = "User Account";
    auto& at = s.attributes;
    at.push_back(attr_builder("userName")
                     .required()
                     .unique(uniqueness::server)
                     .desc("Unique identifier for the User, used to authenticate."));
    at.push_back(attr_builder("name", attr_type::complex)
                     .desc("The components of the user's real name.")
                     .subs({attr_builder("formatted").desc("The full name."),
                            attr_builder("familyName").desc("The family name."),
                            attr_builder("givenName").desc("The given name."),
                            attr_builder("middleName").desc("The middle name(s)."),
                            attr_builder("honorificPrefix").desc("The honorific prefix(es)."),
                            attr_builder("honorificSuffix").desc("The honorific suffix(es).")}));
    at.push_back(attr_builder("displayName").desc("The name of the User, for display."));
    at.push_back(attr_builder("nickName").desc("The casual way to address the user."));
    at.push_back(attr_builder("profileUrl", attr_type::reference)
                     .refs({"external"})
                     .desc("A fully qualified URL pointing to the User's online profile."));
    at.push_back(attr_builder("title").desc("The user's title, such as \"Vice President\"."));
    at.push_back(attr_builder("userType").desc("The relationship between organization and user."));
    at.push_back(attr_builder("preferredLanguage").desc("Preferred written or spoken language."));
    at.push_back(attr_builder("locale").desc("Default location for localization."));
    at.push_back(attr_builder("timezone").desc("Time zone in IANA format."));
    at.push_back(
        attr_builder("active", attr_type::boolean).desc("The User's administrative status."));
    at.push_back(attr_builder("password")
                     .mut(mutability::write_only)
                     .ret(returned::never)
                     .desc("The User's cleartext password; never stored nor returned."));
    at.push_back(plural("emails", "Email addresses for the user.", {"work", "home", "other"}));
    at.push_back(plural("phoneNumbers", "Phone numbers for the User.",
                        {"work", "home", "mobile", "fax", "pager", "other"}));
    at.push_back(plural("ims", "Instant messaging addresses for the User.",
                        {"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}));
    at.push_back(plural("photos", "URLs of photos of the User.", {"photo", "thumbnail"},
                        attr_type::reference, {"external"}));
    at.push_back(attr_builder("addresses", attr_type::complex)
                     .multi()
                     .desc("A physical mailing address for this User.")
                     .subs({attr_builder("formatted").desc("The full mailing address."),
                            attr_builder("streetAddress").desc("The full street address."),
                            attr_builder("locality").desc("The city or locality."),
                            attr_builder("region").desc("The state or region."),
                            attr_builder("postalCode").desc("The zip code or postal code."),
                            attr_builder("country").desc("The country name (ISO 3166-1 alpha-2)."),
                            attr_builder("type")
                                .canonical({"work", "home", "other"})
                                .desc("A label indicating the attribute's function."),
                            attr_builder("primary", attr_type::boolean)
                                .desc("Indicates the primary mailing address.")}));
    at.push_back(
        attr_builder("groups", attr_type::complex)
            .multi()
            .mut(mutability::read_only)
            .desc("A list of groups to which the user belongs.")
            .subs({attr_builder("value").mut(mutability::read_only).desc("The group's id."),
                   attr_builder("$ref", attr_type::reference)
                       .refs({"User", "Group"})
                       .mut(mutability::read_only)
                       .desc("The URI of the Group."),
                   attr_builder("display").mut(mutability::read_only).desc("The group's name."),
                   attr_builder("type")
                       .canonical({"direct", "indirect"})
                       .mut(mutability::read_only)
                       .desc("How the membership was derived.")}));
    at.push_back(plural("entitlements", "A list of entitlements for the User.", {}));
    at.push_back(plural("roles", "A list of roles for the User.", {}));
    at.push_back(plural("x509Certificates", "A list of certificates issued to the User.", {},
                        attr_type::binary));
    return s;
}

schema group_schema() {
    schema s;
    s.id = std::string(group_schema_urn);
    s.name = "Group";
    s.description = "Group";
    s.attributes.push_back(attr_builder("displayName")
                               .required()
                               .unique(uniqueness::server)
                               .desc("A human-readable name for the Group."));
    s.attributes.push_back(attr_builder("members", attr_type::complex)
                               .multi()
                               .desc("A list of members of the Group.")
                               .subs({attr_builder("value")
                                          .mut(mutability::immutable)
                                          .desc("Identifier of the member of this Group."),
                                      attr_builder("$ref", attr_type::reference)
                                          .refs({"User", "Group"})
                                          .mut(mutability::immutable)
                                          .desc("The URI of the member resource."),
                                      attr_builder("type")
                                          .canonical({"User", "Group"})
                                          .mut(mutability::immutable)
                                          .desc("The type of the member."),
                                      attr_builder("display")
                                          .mut(mutability::read_only)
                                          .desc("The member's display name.")}));
    return s;
}

schema enterprise_schema() {
    schema s;
    s.id = std::string(enterprise_user_urn);
    s.name = "EnterpriseUser";
    s.description = "Enterprise User";
    auto& at = s.attributes;
    at.push_back(attr_builder("employeeNumber").desc("Numeric or alphanumeric identifier."));
    at.push_back(attr_builder("costCenter").desc("Identifies the name of a cost center."));
    at.push_back(attr_builder("organization").desc("Identifies the name of an organization."));
    at.push_back(attr_builder("division").desc("Identifies the name of a division."));
    at.push_back(attr_builder("department").desc("Identifies the name of a department."));
    at.push_back(
        attr_builder("manager", attr_type::complex)
            .desc("The User's manager.")
            .subs({attr_builder("value").desc("The id of the SCIM resource of the manager."),
                   attr_builder("$ref", attr_type::reference)
                       .refs({"User"})
                       .desc("The URI of the manager's SCIM resource."),
                   attr_builder("displayName")
                       .mut(mutability::read_only)
                       .desc("The displayName of the manager.")}));
    return s;
}

}  // namespace

void register_core_schemas(schema_registry& reg) {
    const schema& user = reg.add_schema(user_schema());
    const schema& group = reg.add_schema(group_schema());
    const schema& enterprise = reg.add_schema(enterprise_schema());

    resource_type u;
    u.id = "User";
    u.name = "User";
    u.endpoint = "/Users";
    u.description = "User Account";
    u.core = &user;
    u.extensions.push_back({&enterprise, false});
    reg.add_resource_type(std::move(u));

    resource_type g;
    g.id = "Group";
    g.name = "Group";
    g.endpoint = "/Groups";
    g.description = "Group";
    g.core = &group;
    reg.add_resource_type(std::move(g));
}

}  // namespace orgscim::scim
