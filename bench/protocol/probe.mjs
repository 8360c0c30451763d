// Sends every request shape of the protocol workloads (bench/peers/scim-ext.lua: F1 P1 P2 B1) once
// to a preloaded server and checks the answer and its effect, so that throughput is never compared
// between a server that does the work and one that refuses it.
//
//   node probe.mjs BASE_URL TOKEN DATADIR LABEL     (DATADIR: users.tsv/groups.tsv of preload.mjs)
// Prints one markdown row per shape: label, shape, HTTP status, verdict.
import fs from "node:fs";

const [base, token, datadir, label] = process.argv.slice(2);
if (!label) { console.error("usage: node probe.mjs BASE_URL TOKEN DATADIR LABEL"); process.exit(2); }
const users = fs.readFileSync(`${datadir}/users.tsv`, "utf8").trim().split("\n").map((l) => l.split("\t"));
const groups = fs.readFileSync(`${datadir}/groups.tsv`, "utf8").trim().split("\n").map((l) => l.split("\t")[0]);
const prefix = users[0][1].replace(/\.u\d+@bench\.example$/, "");
const hdr = {authorization: `Bearer ${token}`, accept: "application/scim+json", "content-type": "application/scim+json"};

async function call(method, path, body) {
    const r = await fetch(base + path, {method, headers: hdr, body: body === undefined ? undefined : JSON.stringify(body)});
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return {status: r.status, json, text};
}
const rows = [];
const row = (shape, status, ok, note = "") =>
    rows.push(`| ${label} | ${shape} | ${status} | ${ok ? "ok" : "**wrong**"}${note ? ": " + note : ""} |`);
const why = (r) => (r.json?.detail ?? r.text).toString().slice(0, 110).replace(/\|/g, "\\|").replace(/\n/g, " ");

// Filters: expected totalResults on the preloaded data (preload.mjs: 10,000 users by default).
const n = users.length;
const i = Math.min(4242, n - 1), j = Math.min(77, n - 1);
const name = (k) => `${prefix}.u${k}@bench.example`;
const sw = n >= 1240 ? 123 : 1;
const swCount = users.filter((u) => u[1].startsWith(`${prefix}.u${sw}`)).length;
const filters = [
    [`userName eq "${name(i)}"`, 1],
    [`userName sw "${prefix}.u${sw}"`, swCount],
    [`userName co "u${i}@"`, 1],
    [`userName eq "${name(i)}" or userName eq "${name(j)}"`, 2],
    [`emails[type eq "work" and value co "u${i}@"]`, 1],
    [`externalId eq "${prefix}-ext-${i}" and active eq true`, 1],
    [`not (active eq false) and userName sw "${prefix}.u${sw}"`, swCount],
    [`displayName eq "Bench User ${i}"`, 1],
    [`name.familyName eq "User${i}" and title eq "Engineer"`, 1],
    [`emails.value eq "${name(i)}"`, 1],
];
for (const [f, want] of filters) {
    const path = `/Users?count=100&filter=${encodeURIComponent(f)}`;
    const r = await call("GET", path);
    const got = r.json?.totalResults;
    // median of 5 sequential requests on an otherwise idle server: which filter shapes are costly
    const ms = [];
    for (let k = 0; k < 5; k++) { const t0 = performance.now(); await call("GET", path); ms.push(performance.now() - t0); }
    ms.sort((a, b) => a - b);
    row(`F1 \`${f.replaceAll(prefix, "P")}\``, r.status, r.status === 200 && got === want,
        (r.status === 200 ? `${got} of ${want} expected` : why(r)) + `; ${ms[2].toFixed(1)} ms`);
}

// User PATCH shapes (P1), each checked by reading the user back.
const PATCH = (ops) => ({schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: ops});
const uid = users[Math.min(11, n - 1)][0];
const userShapes = [
    ['P1 Replace active "False" (string)', [{op: "Replace", path: "active", value: "False"}], (u) => u.active === false],
    ['P1 Replace active "True" (string)', [{op: "Replace", path: "active", value: "True"}], (u) => u.active === true],
    ["P1 path-less Replace with dotted key name.givenName",
        [{op: "Replace", value: {displayName: "Entra X", "name.givenName": "Given X", title: "Title X"}}],
        (u) => u.displayName === "Entra X" && u.name?.givenName === "Given X" && u.title === "Title X"],
    ['P1 Replace emails[type eq "work"].value + name.familyName',
        [{op: "Replace", path: 'emails[type eq "work"].value', value: "w-x@bench.example"},
         {op: "Replace", path: "name.familyName", value: "Family X"}],
        (u) => u.emails?.some((e) => e.type === "work" && e.value === "w-x@bench.example") && u.name?.familyName === "Family X"],
    ['P1 Add phoneNumbers[type eq "work"].value (no such phone yet)',
        [{op: "Add", path: 'phoneNumbers[type eq "work"].value', value: "+1 555 0100"}],
        (u) => u.phoneNumbers?.some((p) => p.type === "work" && p.value === "+1 555 0100")],
];
for (const [shape, ops, check] of userShapes) {
    const r = await call("PATCH", `/Users/${uid}`, PATCH(ops));
    const back = r.status < 300 ? (await call("GET", `/Users/${uid}`)).json : null;
    row(shape, r.status, r.status < 300 && back && check(back), r.status < 300 ? (back && check(back) ? "" : "effect missing") : why(r));
}

// Group member shapes (P2): add a pool-B user, remove it both ways, check membership each time.
const gid = groups[0], member = users[n - 1][0];
const hasMember = async () => ((await call("GET", `/Groups/${gid}`)).json?.members ?? []).some((m) => m.value === member);
for (const [shape, remove] of [
    ['P2 Remove members[value eq "…"]', {op: "Remove", path: `members[value eq "${member}"]`}],
    ['P2 Remove path "members" + value list (Entra)', {op: "Remove", path: "members", value: [{value: member}]}],
]) {
    const a = await call("PATCH", `/Groups/${gid}`, PATCH([{op: "Add", path: "members", value: [{value: member}]}]));
    const added = a.status < 300 && await hasMember();
    const r = await call("PATCH", `/Groups/${gid}`, PATCH([remove]));
    const gone = r.status < 300 && !(await hasMember());
    row(shape, `${a.status}, ${r.status}`, added && gone,
        !added ? `Add: ${why(a)}` : r.status >= 300 ? why(r) : gone ? "" : "member still there");
}

// Bulk (B1): a small request with a bulkId cross-reference, then the 1,000-operation shape.
{
    const un = `probe-${Date.now()}@bench.example`;
    const r = await call("POST", "/Bulk", {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        Operations: [
            {method: "POST", path: "/Users", bulkId: "u1", data: {schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: un}},
            {method: "POST", path: "/Groups", bulkId: "g1", data: {schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                displayName: `probe group ${un}`, members: [{value: "bulkId:u1"}]}},
        ]});
    const st = (r.json?.Operations ?? []).map((o) => String(o.status?.code ?? o.status));
    let ok = r.status === 200 && st.every((s) => s.startsWith("201"));
    let note = r.status === 200 ? `operation statuses ${st.join(", ")}` : why(r);
    if (ok) {
        const loc = r.json.Operations[1].location ?? "";
        const g = await call("GET", `/Groups/${loc.split("/").pop()}`);
        const u = (await call("GET", `/Users?filter=${encodeURIComponent(`userName eq "${un}"`)}`)).json?.Resources?.[0];
        ok = g.status === 200 && u && (g.json?.members ?? []).some((m) => m.value === u.id);
        if (!ok) note += "; group member is not the new user's id";
    }
    row("B1 Bulk: POST User + POST Group with member bulkId:u1", r.status, ok, note);
}
console.log(rows.join("\n"));
