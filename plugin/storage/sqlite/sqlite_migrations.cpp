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
-- Fixed planner statistics (SQLite "manual control of query plans"): without them the planner
-- prefers the (tenant, type) prefix over an id IN (...) lookup and scans a whole tenant for an
-- emails.value filter. The figures describe the shape (many rows per tenant, one per id), not
-- real counts.
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1;
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('resources', 'resources_id', '1000000 100000 1'),
    ('resources', 'resources_ukey', '1000000 100000 50000 1'),
    ('resources', 'resources_order', '1000000 100000 50000 1'),
    ('resources', 'resources_username', '1000000 100000 50000 1'),
    ('resources', 'resources_display', '1000000 100000 50000 2'),
    ('resources', 'resources_external', '1000000 100000 50000 1'),
    ('resources', 'resources_created', '1000000 100000 50000 1'),
    ('resource_emails', 'resource_emails', '1000000 100000 1 1'),
    ('resource_emails', 'resource_emails_value', '1000000 100000 1'),
    ('group_members', 'group_members', '1000000 100000 100 1'),
    ('group_members', 'group_members_member', '1000000 100000 5'),
    ('tokens', 'tokens_org', '10000 10');
)sql";

// Invitations, access requests, their history and the mail outbox (issue 6). At most one pending
// invitation per (org, kind, email) and one pending access request per (org, requester). The
// outbox is leased by senders (claimed_by, lease_until_ms).
constexpr std::string_view v2 = R"sql(
CREATE TABLE invitations (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    org_id         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    email          TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    parent_user    TEXT NOT NULL,
    roles          TEXT NOT NULL,
    groups_        TEXT NOT NULL,
    inviter        TEXT NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    token_version  INTEGER NOT NULL,
    resend_count   INTEGER NOT NULL,
    created_ms     INTEGER NOT NULL,
    modified_ms    INTEGER NOT NULL,
    expires_ms     INTEGER NOT NULL,
    last_sent_ms   INTEGER NOT NULL,
    reminder_at_ms INTEGER NOT NULL,
    finished_ms    INTEGER NOT NULL,
    finished_by    TEXT NOT NULL,
    reason         TEXT NOT NULL,
    delivery       TEXT NOT NULL,
    delivery_error TEXT NOT NULL,
    version        INTEGER NOT NULL
);
CREATE UNIQUE INDEX invitations_pending ON invitations (org_id, kind, email) WHERE status = 'pending';
CREATE INDEX invitations_org ON invitations (org_id, seq);
CREATE INDEX invitations_due ON invitations (status, expires_ms);
CREATE INDEX invitations_reminder ON invitations (reminder_at_ms) WHERE reminder_at_ms > 0;
CREATE TABLE invitation_history (
    seq      INTEGER PRIMARY KEY,
    owner_id TEXT NOT NULL,
    at_ms    INTEGER NOT NULL,
    action   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX invitation_history_owner ON invitation_history (owner_id, seq);
CREATE TABLE access_requests (
    seq              INTEGER PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    org_id           TEXT NOT NULL,
    status           TEXT NOT NULL,
    requester        TEXT NOT NULL,
    email            TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    reason           TEXT NOT NULL,
    decided_by       TEXT NOT NULL,
    role             TEXT NOT NULL,
    deny_reason      TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    modified_ms      INTEGER NOT NULL,
    last_notified_ms INTEGER NOT NULL,
    notify_count     INTEGER NOT NULL,
    version          INTEGER NOT NULL
);
CREATE UNIQUE INDEX access_requests_pending ON access_requests (org_id, requester) WHERE status = 'pending';
CREATE INDEX access_requests_org ON access_requests (org_id, seq);
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY,
    org_id          TEXT NOT NULL,
    ref             TEXT NOT NULL,
    template        TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    created_ms      INTEGER NOT NULL,
    sent_ms         INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    claimed_by      TEXT NOT NULL,
    lease_until_ms  INTEGER NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_ms);
CREATE INDEX mail_outbox_ref ON mail_outbox (ref);
)sql";

// The organization model (issue 5): org tree columns (materialized path '/root/../self/', kept by
// a trigger for rows inserted without one), identities, memberships, custom roles, group-to-role
// mappings, and the append-only event log (triggers refuse UPDATE and DELETE).
constexpr std::string_view v3 = R"sql(
ALTER TABLE orgs ADD COLUMN managed_by TEXT;
ALTER TABLE orgs ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE orgs ADD COLUMN path TEXT;
ALTER TABLE orgs ADD COLUMN modified_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orgs ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
WITH RECURSIVE p(id, path) AS (
    SELECT id, '/' || id || '/' FROM orgs WHERE parent_id IS NULL
    UNION ALL SELECT o.id, p.path || o.id || '/' FROM orgs o JOIN p ON o.parent_id = p.id)
UPDATE orgs SET path = (SELECT path FROM p WHERE p.id = orgs.id), modified_ms = created_ms;
CREATE TRIGGER orgs_path_on_insert AFTER INSERT ON orgs WHEN NEW.path IS NULL BEGIN
    UPDATE orgs SET path = coalesce((SELECT path FROM orgs WHERE id = NEW.parent_id), '/') ||
        NEW.id || '/', modified_ms = NEW.created_ms WHERE id = NEW.id;
END;
CREATE INDEX orgs_path ON orgs (path);
CREATE INDEX orgs_parent ON orgs (parent_id);
CREATE TABLE identities (
    id           TEXT PRIMARY KEY,
    issuer       TEXT,
    subject      TEXT,
    home_org     TEXT NOT NULL,
    home_user_id TEXT,
    display      TEXT NOT NULL,
    created_ms   INTEGER NOT NULL
);
CREATE UNIQUE INDEX identities_subject ON identities (issuer, subject) WHERE issuer IS NOT NULL;
CREATE UNIQUE INDEX identities_home_user ON identities (home_org, home_user_id)
    WHERE home_user_id IS NOT NULL;
CREATE TABLE memberships (
    identity_id        TEXT NOT NULL,
    org_id             TEXT NOT NULL,
    kind               TEXT NOT NULL,
    home_org           TEXT NOT NULL,
    user_ref           TEXT,
    override_inherited INTEGER NOT NULL,
    roles              TEXT NOT NULL,
    created_ms         INTEGER NOT NULL,
    PRIMARY KEY (identity_id, org_id)
) WITHOUT ROWID;
CREATE INDEX memberships_org ON memberships (org_id);
CREATE TABLE custom_roles (
    org_id      TEXT NOT NULL,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    permissions INTEGER NOT NULL,
    PRIMARY KEY (org_id, id)
) WITHOUT ROWID;
CREATE TABLE group_roles (
    org_id   TEXT NOT NULL,
    group_id TEXT NOT NULL,
    role_id  TEXT NOT NULL,
    PRIMARY KEY (org_id, group_id, role_id)
) WITHOUT ROWID;
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    org_id        TEXT NOT NULL,
    time_ms       INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    action        TEXT NOT NULL,
    target_type   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    detail        TEXT NOT NULL
);
CREATE INDEX events_org ON events (org_id, seq);
CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
)sql";

// An exact row count per tenant and type, kept by triggers (so every writer keeps it, including
// org deletion): an unfiltered list gets totalResults without counting a million index entries.
// Since migration 14 the store's insert adds to it instead of the insert trigger.
constexpr std::string_view v4 = R"sql(
CREATE TABLE resource_counts (
    tenant TEXT NOT NULL,
    type   TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (tenant, type)
) WITHOUT ROWID;
INSERT INTO resource_counts (tenant, type, n)
    SELECT tenant, type, count(*) FROM resources GROUP BY tenant, type;
CREATE TRIGGER resources_count_insert AFTER INSERT ON resources BEGIN
    INSERT INTO resource_counts (tenant, type, n) VALUES (NEW.tenant, NEW.type, 1)
        ON CONFLICT (tenant, type) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER resources_count_delete AFTER DELETE ON resources BEGIN
    UPDATE resource_counts SET n = n - 1 WHERE tenant = OLD.tenant AND type = OLD.type;
END;
)sql";

// orgscim's own OAuth clients (issue 4): secrets stored as hashes, several per client while one
// is rotated; the token-signing keys shared by every instance on this database.
constexpr std::string_view v5 = R"sql(
CREATE TABLE oauth_clients (
    client_id   TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    name        TEXT NOT NULL,
    permissions INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL,
    revoked_ms  INTEGER
);
CREATE INDEX oauth_clients_org ON oauth_clients (org_id);
CREATE TABLE oauth_client_secrets (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER
);
CREATE INDEX oauth_client_secrets_client ON oauth_client_secrets (client_id);
CREATE TABLE oauth_signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    retired_ms  INTEGER
);
)sql";

// Workload identity federation (RFC 7523): which external iss+sub may act as an OAuth client.
constexpr std::string_view v6 = R"sql(
CREATE TABLE oauth_client_federated (
    client_id TEXT NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    issuer    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    PRIMARY KEY (client_id, issuer, subject)
) WITHOUT ROWID;
)sql";

// Trusted issuers added through the CLI (issue 4), read by every instance.
constexpr std::string_view v7 = R"sql(
CREATE TABLE trusted_issuers (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    entry      TEXT NOT NULL,
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// A child's /Users lists the members of its managing ancestors whose roles flow down (issue 5).
// member_flow holds the memberships that pass roles on (some role, not Inactive), kept by
// triggers from every writer (inserts by put_membership since migration 14), so that a list pages
// over one covering index instead of reading each membership's roles; it is derived, like
// resource_counts, and not exported.
constexpr std::string_view v8 = R"sql(
CREATE TABLE member_flow (
    org_id      TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    PRIMARY KEY (org_id, identity_id)
) WITHOUT ROWID;
INSERT INTO member_flow (org_id, identity_id)
    SELECT org_id, identity_id FROM memberships
    WHERE roles <> '[]' AND instr(roles, '"inactive"') = 0;
CREATE TRIGGER memberships_flow_insert AFTER INSERT ON memberships
    WHEN NEW.roles <> '[]' AND instr(NEW.roles, '"inactive"') = 0 BEGIN
    INSERT OR IGNORE INTO member_flow (org_id, identity_id) VALUES (NEW.org_id, NEW.identity_id);
END;
CREATE TRIGGER memberships_flow_update AFTER UPDATE ON memberships BEGIN
    DELETE FROM member_flow WHERE org_id = OLD.org_id AND identity_id = OLD.identity_id;
    INSERT OR IGNORE INTO member_flow (org_id, identity_id)
        SELECT NEW.org_id, NEW.identity_id
        WHERE NEW.roles <> '[]' AND instr(NEW.roles, '"inactive"') = 0;
END;
CREATE TRIGGER memberships_flow_delete AFTER DELETE ON memberships BEGIN
    DELETE FROM member_flow WHERE org_id = OLD.org_id AND identity_id = OLD.identity_id;
END;
CREATE INDEX memberships_user ON memberships (org_id, user_ref) WHERE user_ref IS NOT NULL;
CREATE INDEX memberships_unlisted ON memberships (org_id, identity_id)
    WHERE user_ref IS NULL AND kind <> 'inherited';
)sql";

// Deep pages in creation order (issue 2: W5 at 1,000,000 users): the rows per tenant, type and
// block of 1,024 seq values, kept like resource_counts and not exported. Page k is
// found by adding block counts (at most one row per 1,024 resources) and then skipping fewer than
// 1,024 index entries, instead of walking k entries of resources_order.
constexpr std::string_view v9 = R"sql(
CREATE TABLE resource_blocks (
    tenant TEXT NOT NULL,
    type   TEXT NOT NULL,
    block  INTEGER NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (tenant, type, block)
) WITHOUT ROWID;
INSERT INTO resource_blocks (tenant, type, block, n)
    SELECT tenant, type, seq >> 10, count(*) FROM resources GROUP BY tenant, type, seq >> 10;
CREATE TRIGGER resources_block_insert AFTER INSERT ON resources BEGIN
    INSERT INTO resource_blocks (tenant, type, block, n)
        VALUES (NEW.tenant, NEW.type, NEW.seq >> 10, 1)
        ON CONFLICT (tenant, type, block) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER resources_block_delete AFTER DELETE ON resources BEGIN
    UPDATE resource_blocks SET n = n - 1
        WHERE tenant = OLD.tenant AND type = OLD.type AND block = OLD.seq >> 10;
    DELETE FROM resource_blocks
        WHERE tenant = OLD.tenant AND type = OLD.type AND block = OLD.seq >> 10 AND n <= 0;
END;
)sql";

// How many members flow from each org (issue 5): a managed child's /Users counts its inherited
// members from this row instead of walking the parent's member_flow entries on every page. Kept by
// triggers like resource_counts and not exported.
constexpr std::string_view v10 = R"sql(
CREATE TABLE member_flow_counts (
    org_id TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO member_flow_counts (org_id, n) SELECT org_id, count(*) FROM member_flow GROUP BY org_id;
CREATE TRIGGER member_flow_count_insert AFTER INSERT ON member_flow BEGIN
    INSERT INTO member_flow_counts (org_id, n) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER member_flow_count_delete AFTER DELETE ON member_flow BEGIN
    UPDATE member_flow_counts SET n = n - 1 WHERE org_id = OLD.org_id;
END;
)sql";

// The kind of an org's own User (issue 2: a GET by id, every row of a User page, the lookup
// before every User write): an index of the memberships that are not home ones. Nearly every
// User is a home member, so the probe finds nothing in a small index, where memberships_user
// found the home membership and read its row to see its kind. Its fixed statistics (as in
// migration 1: the shape, few such memberships per org) let the planner prefer it where it
// would otherwise take memberships_user; they are the only ones for this table, and a partial
// index's row does not set the table's size, so no other plan changes.
constexpr std::string_view v11 = R"sql(
CREATE INDEX memberships_guest ON memberships (org_id, user_ref, kind, home_org)
    WHERE user_ref IS NOT NULL AND kind <> 'home';
INSERT INTO sqlite_stat1 (tbl, idx, stat)
    VALUES ('memberships', 'memberships_guest', '1000 10 1 1 1');
)sql";

// One b-tree insert less per User write (issue 2: W3): a User's ukey is its folded userName, so
// resources_ukey answers userName filters and sorts (filter_to_sql) and resources_username held
// the same keys a second time. username_f stays a column: export format 1 carries it.
constexpr std::string_view v12 = R"sql(
DROP INDEX resources_username;
DELETE FROM sqlite_stat1 WHERE idx = 'resources_username';
)sql";

// Two b-trees less per provisioned User (issue 2: W3). Nothing looks an event up by id, and its
// id is a fresh UUIDv7 (new_id()), so its UNIQUE index only cost an insert per event. An identity
// is found by its TEXT id, which a rowid table kept in a second b-tree (its autoindex); WITHOUT
// ROWID keeps the row in the id's b-tree. SQLite cannot drop either in place: both tables are
// copied (every event, so the migration takes a while on a large log).
constexpr std::string_view v13 = R"sql(
CREATE TABLE events_v13 (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    time_ms       INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    action        TEXT NOT NULL,
    target_type   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    detail        TEXT NOT NULL
);
INSERT INTO events_v13 (seq, id, org_id, time_ms, actor, credential_id, action, target_type,
                        target_id, detail)
    SELECT seq, id, org_id, time_ms, actor, credential_id, action, target_type, target_id, detail
    FROM events;
DROP TABLE events;
ALTER TABLE events_v13 RENAME TO events;
CREATE INDEX events_org ON events (org_id, seq);
CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TABLE identities_v13 (
    id           TEXT PRIMARY KEY,
    issuer       TEXT,
    subject      TEXT,
    home_org     TEXT NOT NULL,
    home_user_id TEXT,
    display      TEXT NOT NULL,
    created_ms   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO identities_v13 (id, issuer, subject, home_org, home_user_id, display, created_ms)
    SELECT id, issuer, subject, home_org, home_user_id, display, created_ms FROM identities;
DROP TABLE identities;
ALTER TABLE identities_v13 RENAME TO identities;
CREATE UNIQUE INDEX identities_subject ON identities (issuer, subject) WHERE issuer IS NOT NULL;
CREATE UNIQUE INDEX identities_home_user ON identities (home_org, home_user_id)
    WHERE home_user_id IS NOT NULL;
)sql";

// Inserts keep resource_counts, resource_blocks and member_flow themselves (issue 2: W3): an
// insert that fires a trigger writes two tables and may fail halfway, so SQLite gives it a
// statement journal, a copy of every page it changes. With these three triggers a provisioned
// User cost 289,000 instructions in SQLite, with the same rows written by plain statements
// 219,000. sqlite_store's create, the directory's put_membership and an import's commit write
// the rows; deletes and updates keep their triggers (they are rarer, and an org's deletion
// deletes its rows in one statement).
constexpr std::string_view v14 = R"sql(
DROP TRIGGER resources_count_insert;
DROP TRIGGER resources_block_insert;
DROP TRIGGER memberships_flow_insert;
)sql";

constexpr std::array<sql::migration, 14> all{{
    {1, "orgs, tokens, resources, emails, group members", v1},
    {2, "invitations, access requests, history, mail outbox", v2},
    {3, "org tree, identities, memberships, roles, group roles, events", v3},
    {4, "resource counts per tenant and type", v4},
    {5, "OAuth clients, client secrets, token-signing keys", v5},
    {6, "OAuth clients' federated credentials", v6},
    {7, "trusted issuers added through the CLI", v7},
    {8, "inherited members: member_flow, membership indexes", v8},
    {9, "resource blocks for deep pages", v9},
    {10, "member flow counts", v10},
    {11, "memberships that are not home ones, by User", v11},
    {12, "userName through resources_ukey", v12},
    {13, "events without a unique id index, identities without rowid", v13},
    {14, "inserts keep the derived counts and member_flow, not triggers", v14},
}};

}  // namespace

std::span<const sql::migration> migrations() { return all; }

std::string member_flow_condition(std::string_view roles) {
    const std::string r(roles);
    return r + " <> '[]' AND instr(" + r + ", '\"inactive\"') = 0";
}

}  // namespace orgscim::plugin::sqlite
