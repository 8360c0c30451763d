#include "postgres/postgres_migrations.hpp"

#include <array>

namespace orgscim::plugin::postgres {

namespace {

// Same tables and columns as SQLite. Text that is compared or ordered uses COLLATE "C" (byte
// order of the fold_case()d values), so results do not depend on the server's locale.
constexpr std::string_view v1 = R"sql(
CREATE TABLE orgs (
    seq        BIGSERIAL NOT NULL,
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    parent_id  TEXT COLLATE "C",
    status     TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX orgs_order ON orgs (seq);
CREATE TABLE tokens (
    seq        BIGSERIAL NOT NULL,
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL,
    name       TEXT NOT NULL,
    hash       BYTEA NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT,
    revoked_ms BIGINT,
    can_write  BOOLEAN NOT NULL
);
CREATE INDEX tokens_org ON tokens (org_id, seq);
CREATE TABLE resources (
    seq         BIGSERIAL PRIMARY KEY,
    tenant      TEXT COLLATE "C" NOT NULL,
    type        TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    body        TEXT NOT NULL,
    version     BIGINT NOT NULL,
    created_ms  BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL,
    ukey        TEXT COLLATE "C",
    username_f  TEXT COLLATE "C",
    display_f   TEXT COLLATE "C",
    external_id TEXT COLLATE "C",
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
    tenant  TEXT COLLATE "C" NOT NULL,
    rid     TEXT COLLATE "C" NOT NULL,
    value_f TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, rid, value_f)
);
CREATE INDEX resource_emails_value ON resource_emails (tenant, value_f);
CREATE TABLE group_members (
    tenant      TEXT COLLATE "C" NOT NULL,
    group_id    TEXT COLLATE "C" NOT NULL,
    member_id   TEXT COLLATE "C" NOT NULL,
    member_type TEXT NOT NULL,
    PRIMARY KEY (tenant, group_id, member_id)
);
CREATE INDEX group_members_member ON group_members (tenant, member_id);
)sql";

// An exact row count per tenant and type, so that an unfiltered list gets totalResults without
// counting every index entry of the tenant. Kept by statement triggers, so every writer keeps it
// (org deletion, import). Each backend adds to its own slot (of 16): concurrent creates in one
// tenant would otherwise queue on one counter row until each commits. A slot may go negative;
// the sum over the slots is the count. The triggers are created before the backfill: they lock
// resources against writers still running an older version until this migration commits.
constexpr std::string_view v6 = R"sql(
CREATE TABLE resource_counts (
    tenant TEXT COLLATE "C" NOT NULL,
    type   TEXT COLLATE "C" NOT NULL,
    slot   INTEGER NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (tenant, type, slot)
);
CREATE FUNCTION resource_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resource_counts (tenant, type, slot, n)
        SELECT tenant, type, pg_backend_pid() % 16, count(*) FROM added GROUP BY tenant, type
        ON CONFLICT (tenant, type, slot) DO UPDATE SET n = resource_counts.n + excluded.n;
    RETURN NULL;
END
$$;
CREATE FUNCTION resource_counts_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resource_counts (tenant, type, slot, n)
        SELECT tenant, type, pg_backend_pid() % 16, -count(*) FROM removed GROUP BY tenant, type
        ON CONFLICT (tenant, type, slot) DO UPDATE SET n = resource_counts.n + excluded.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER resources_count_insert AFTER INSERT ON resources
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION resource_counts_add();
CREATE TRIGGER resources_count_delete AFTER DELETE ON resources
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION resource_counts_remove();
INSERT INTO resource_counts (tenant, type, slot, n)
    SELECT tenant, type, 0, count(*) FROM resources GROUP BY tenant, type;
)sql";

// A child's /Users lists the members of its managing ancestors whose roles flow down (issue 5),
// as on SQLite (migration 8 there). member_flow holds the memberships that pass roles on (some
// role, not Inactive), kept by a row trigger from every writer, so that a list pages over one
// index instead of reading each membership's roles; it is derived, like resource_counts, and not
// exported. The trigger is created before the backfill for the reason given at v6.
constexpr std::string_view v7 = R"sql(
CREATE TABLE member_flow (
    org_id      TEXT COLLATE "C" NOT NULL,
    identity_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, identity_id)
);
CREATE FUNCTION member_flow_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM member_flow WHERE org_id = OLD.org_id AND identity_id = OLD.identity_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.roles <> '[]' AND strpos(NEW.roles, '"inactive"') = 0 THEN
        INSERT INTO member_flow (org_id, identity_id) VALUES (NEW.org_id, NEW.identity_id)
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER memberships_flow AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION member_flow_keep();
INSERT INTO member_flow (org_id, identity_id)
    SELECT org_id, identity_id FROM memberships
    WHERE roles <> '[]' AND strpos(roles, '"inactive"') = 0
    ON CONFLICT DO NOTHING;
CREATE INDEX memberships_user ON memberships (org_id, user_ref) WHERE user_ref IS NOT NULL;
CREATE INDEX memberships_unlisted ON memberships (org_id, identity_id)
    WHERE user_ref IS NULL AND kind <> 'inherited';
)sql";

// How many members flow from each org (issue 5; migration 10 on SQLite): a managed child's /Users
// counts its inherited members from this row instead of walking the parent's member_flow on
// every page. Derived and not exported. CREATE TRIGGER locks member_flow against writers until
// the migration commits, so the backfill sees every row once.
constexpr std::string_view v8 = R"sql(
CREATE TABLE member_flow_counts (
    org_id TEXT COLLATE "C" PRIMARY KEY,
    n      BIGINT NOT NULL
);
CREATE FUNCTION member_flow_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO member_flow_counts (org_id, n) VALUES (NEW.org_id, 1)
            ON CONFLICT (org_id) DO UPDATE SET n = member_flow_counts.n + 1;
    ELSE
        UPDATE member_flow_counts SET n = n - 1 WHERE org_id = OLD.org_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER member_flow_count AFTER INSERT OR DELETE ON member_flow
    FOR EACH ROW EXECUTE FUNCTION member_flow_count_keep();
INSERT INTO member_flow_counts (org_id, n)
    SELECT org_id, count(*) FROM member_flow GROUP BY org_id
    ON CONFLICT (org_id) DO UPDATE SET n = excluded.n;
)sql";

// The kind of an org's own User (migration 11 on SQLite): the memberships that are not home
// ones, by User. Nearly every User is a home member, so the probe of a GET or a page row finds
// nothing in a small index instead of reading the home membership to see its kind.
constexpr std::string_view v9 = R"sql(
CREATE INDEX memberships_guest ON memberships (org_id, user_ref, kind, home_org)
    WHERE user_ref IS NOT NULL AND kind <> 'home';
)sql";

// Deep pages in creation order (migration 9 on SQLite): rows per tenant, type and block of 1,024
// seq values, so that a page at offset N adds block counts up to its block and skips fewer than
// 1,024 index entries from there instead of N. Spread over the same 16 slots as resource_counts,
// kept by the same kind of statement triggers (one function for both: each trigger names its
// transition table `changed`), derived and not exported; the triggers are created before the
// backfill for the reason given at v6.
constexpr std::string_view v10 = R"sql(
CREATE TABLE resource_blocks (
    tenant TEXT COLLATE "C" NOT NULL,
    type   TEXT COLLATE "C" NOT NULL,
    block  BIGINT NOT NULL,
    slot   INTEGER NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (tenant, type, block, slot)
);
CREATE FUNCTION resource_blocks_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resource_blocks (tenant, type, block, slot, n)
        SELECT tenant, type, seq >> 10, pg_backend_pid() % 16,
               CASE TG_OP WHEN 'INSERT' THEN count(*) ELSE -count(*) END
        FROM changed GROUP BY tenant, type, seq >> 10
        ON CONFLICT (tenant, type, block, slot) DO UPDATE SET n = resource_blocks.n + excluded.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER resources_block_insert AFTER INSERT ON resources
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION resource_blocks_keep();
CREATE TRIGGER resources_block_delete AFTER DELETE ON resources
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION resource_blocks_keep();
INSERT INTO resource_blocks (tenant, type, block, slot, n)
    SELECT tenant, type, seq >> 10, 0, count(*) FROM resources GROUP BY tenant, type, seq >> 10;
)sql";

// A directory write's tree lock in one round trip instead of three (the org's root, its lock,
// the root read again under it). A move between trees changes an org's root only under both
// trees' locks, so the root read once the lock is held is final unless it differs; then that
// tree is locked too, as postgres_directory.cpp's lock_trees() does. NULL when the org does not
// exist.
constexpr std::string_view v11 = R"sql(
CREATE FUNCTION directory_lock_org(org TEXT) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
    root TEXT;
    again TEXT;
BEGIN
    SELECT coalesce(split_part(path, '/', 2), id) INTO root FROM orgs WHERE id = org;
    LOOP
        IF root IS NULL THEN
            RETURN NULL;
        END IF;
        PERFORM directory_lock(1, root);
        SELECT coalesce(split_part(path, '/', 2), id) INTO again FROM orgs WHERE id = org;
        IF again IS NOT DISTINCT FROM root THEN
            RETURN root;
        END IF;
        root := again;
    END LOOP;
END
$$;
)sql";

// One index entry less per User write: a User's ukey is its folded userName, so resources_ukey
// answers userName filters and sorts (filter_to_sql) and resources_username held the same keys a
// second time. username_f stays a column: export format 1 carries it.
constexpr std::string_view v12 = R"sql(
DROP INDEX resources_username;
)sql";

// One index entry less per provisioned User: nothing looks an event up by id, and its id is a
// fresh UUIDv7 (new_id()), so the UNIQUE index only cost an insert per event.
constexpr std::string_view v13 = R"sql(
ALTER TABLE events DROP CONSTRAINT events_id_key;
)sql";

// Provisioning a home User (postgres_directory.cpp, provision_home) in one round trip: the tree
// lock, then the find-or-create statement. The tree's writers queue on that lock until COMMIT,
// so each round trip it is held across bounds the tree's provisioning rate. The statement after
// the lock reads with a snapshot taken once the lock is held (READ COMMITTED gives each statement
// of a function its own), as it did when the lock was a statement of its own. Returns the tree's
// root (NULL when the org does not exist), how many identities it inserted, whether the org
// exists, and the identity that was already there.
constexpr std::string_view v14 = R"sql(
CREATE FUNCTION directory_provision_home(
    TEXT, TEXT, TEXT, TEXT, BIGINT, TEXT, BIGINT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT)
RETURNS TABLE (root TEXT, inserted BIGINT, org_found BIGINT, f_id TEXT, f_issuer TEXT,
               f_subject TEXT, f_home_org TEXT, f_home_user_id TEXT, f_display TEXT,
               f_created_ms BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    tree TEXT;
BEGIN
    tree := directory_lock_org($2);
    RETURN QUERY
    WITH found AS (
        SELECT i.id, i.issuer, i.subject, i.home_org, i.home_user_id, i.display, i.created_ms
        FROM identities i WHERE i.home_org = $2 AND i.home_user_id = $3),
    org AS (SELECT 1 FROM orgs o WHERE o.id = $2),
    ins AS (
        INSERT INTO identities AS t (id, home_org, home_user_id, display, created_ms)
        SELECT $1, $2, $3, $4, $5
        WHERE NOT EXISTS (SELECT 1 FROM found) AND EXISTS (SELECT 1 FROM org)
        ON CONFLICT DO NOTHING RETURNING t.id),
    mem AS (
        INSERT INTO memberships (identity_id, org_id, kind, home_org, user_ref,
                                 override_inherited, roles, created_ms)
        SELECT ins.id, $2, $6, $2, $3, false, '[]', $7 FROM ins),
    ev AS (
        INSERT INTO events (id, org_id, time_ms, actor, credential_id, action, target_type,
                            target_id, detail)
        SELECT $8, $2, $7, $9, $10, $11, $12, ins.id, $13 FROM ins)
    SELECT tree, (SELECT count(*) FROM ins), (SELECT count(*) FROM org), f.*
    FROM (SELECT 1) AS one LEFT JOIN found f ON true;
END
$$;
)sql";

// A User's groups by the member's id alone, with the tenant and group in the entry. Every lookup
// by member names the tenant as well, but a member id is a resource's UUIDv7, so its entries are
// those of one tenant: a descent compares one key column where it compared two (the first, the
// tenant, the same 36 bytes on every entry of an org), and reads no table row. A page of 100 Users
// finds its groups in 100 descents (postgres_store.cpp, page_groups_cell): that part of the
// statement took about a fifth less time (docs/performance.md, nineteenth session).
constexpr std::string_view v15 = R"sql(
CREATE INDEX group_members_by_member ON group_members (member_id) INCLUDE (tenant, group_id);
DROP INDEX group_members_member;
)sql";

const std::array<sql::migration, 15> all{{
    {1, "orgs, tokens, resources, emails, group members", v1},
    {2, "organization directory", directory_schema},
    {3, "invitations, access requests, outbox", invitation_schema},
    {4, "OAuth clients, client secrets, signing keys", oauth_schema},
    {5, "trusted issuers added through the CLI", trusted_issuer_schema},
    {6, "resource counts per tenant and type", v6},
    {7, "inherited members: member_flow, membership indexes", v7},
    {8, "member flow counts", v8},
    {9, "memberships that are not home ones, by User", v9},
    {10, "resource rows per block of 1,024 seq values", v10},
    {11, "a write's tree lock in one statement", v11},
    {12, "userName through resources_ukey", v12},
    {13, "events without a unique id index", v13},
    {14, "a home User's provisioning in one round trip", v14},
    {15, "group members by member id", v15},
}};

}  // namespace

std::span<const sql::migration> migrations() { return all; }

}  // namespace orgscim::plugin::postgres
