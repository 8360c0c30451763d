#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <orgscim/plugin/audit/events.hpp>

namespace orgscim::plugin::audit {

namespace {

scim::attribute read_only_string(std::string name, std::string description) {
    scim::attribute a;
    a.name = std::move(name);
    a.type = scim::attr_type::string;
    a.mutability = scim::mutability::read_only;
    a.case_exact = true;
    a.description = std::move(description);
    return a;
}

}  // namespace

const scim::resource_type& register_event_type(scim::schema_registry& reg) {
    scim::schema s;
    s.id = std::string(event_schema_urn);
    s.name = "Event";
    s.description = "One entry of an organization's append-only audit log";
    s.attributes = {
        read_only_string("action", "What happened: org.created, member.roles_changed, ..."),
        read_only_string("actor", "Who did it: token:<id>, <issuer>|<subject> or cli"),
        read_only_string("credential", "The credential used (never the secret)"),
        read_only_string("orgId", "The organization the event belongs to"),
        read_only_string("targetType", "Organization, Membership, Identity, Role, GroupRole"),
        read_only_string("targetId", "The id of the resource changed"),
        read_only_string("detail", "JSON text with the change's particulars"),
    };
    const scim::schema& stored = reg.add_schema(std::move(s));
    scim::resource_type t;
    t.id = "Event";
    t.name = "Event";
    t.endpoint = "/Events";
    t.description = "Audit events (read-only)";
    t.core = &stored;
    return reg.add_resource_type(std::move(t));
}

boost::json::object event_attributes(const event_record& e) {
    boost::json::object o;
    o["action"] = e.ev.action;
    o["actor"] = e.ev.actor;
    if (!e.ev.credential_id.empty()) o["credential"] = e.ev.credential_id;
    o["orgId"] = e.ev.org_id;
    o["targetType"] = e.ev.target_type;
    o["targetId"] = e.ev.target_id;
    if (!e.ev.detail.empty()) o["detail"] = boost::json::serialize(e.ev.detail);
    return o;
}

std::string format_time(std::int64_t epoch_ms) {
    using namespace std::chrono;
    const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(epoch_ms)));
    const year_month_day ymd(day);
    const auto rest = milliseconds(epoch_ms) - duration_cast<milliseconds>(day.time_since_epoch());
    const hh_mm_ss<milliseconds> t(rest);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(t.hours().count()),
                  int(t.minutes().count()), int(t.seconds().count()), int(t.subseconds().count()));
    return buf;
}

}  // namespace orgscim::plugin::audit
