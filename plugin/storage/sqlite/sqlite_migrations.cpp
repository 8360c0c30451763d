#include "sqlite/sqlite_migrations.hpp"

#include <array>

namespace orgscim::plugin::sqlite {

namespace {

// Case-insensitive columns (*_f, ukey) hold scim::fold_case() of the value, computed in C++;
// queries compare them in byte order and never call LOWER(). `seq` (the rowid) is the creation
// order. ids are unique per tenant across resource types, so a member id names one resource.
constexpr std::string_view v1 = R"sql(
CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    parent_id  TEXT,
    status     TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    name       TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER,
    revoked_ms INTEGER,
    can_write  INTEGER NOT NULL
);
CREATE INDEX tokens_org ON tokens (org_id);
CREATE TABLE resources (
    seq         INTEGER PRIMARY KEY,
    tenant      TEXT NOT NULL,
    type        TEXT NOT NULL,
    id          TEXT NOT NULL,
    body        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    ukey        TEXT,
    username_f  TEXT,
    display_f   TEXT,
    external_id TEXT,
    label       TEXT NOT NULL
);
CREATE UNIQUE INDEX resources_id ON resources (tenant, id);
CREATE UNIQUE INDEX resources_ukey ON resources (tenant, type, ukey);
CREATE INDEX resources_order ON resources (tenant, type, seq);
CREATE INDEX resources_username ON resources (tenant, type, username_f);
CREATE INDEX resources_display ON resources (tenant, type, display_f);
CREATE INDEX resources_external ON resources (tenant, type, external_id);
CREATE INDEX resources_created ON resources (tenant, type, created_ms);
CREATE TABLE resource_emails (
    tenant  TEXT NOT NULL,
    rid     TEXT NOT NULL,
    value_f TEXT NOT NULL,
    PRIMARY KEY (tenant, rid, value_f)
) WITHOUT ROWID;
CREATE INDEX resource_emails_value ON resource_emails (tenant, value_f);
CREATE TABLE group_members (
    tenant      TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    member_type TEXT NOT NULL,
    PRIMARY KEY (tenant, group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX group_members_member ON group_members (tenant, member_id);
)sql";

constexpr std::array<sql::migration, 1> all{{
    {1, "orgs, tokens, resources, emails, group members", v1},
}};

}  // namespace

std::span<const sql::migration> migrations() { return all; }

}  // namespace orgscim::plugin::sqlite
