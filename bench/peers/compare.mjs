// Markdown table of drive.sh results, one row per workload, labels side by side, with ratios of
// throughput measured in the same run (same RUN_TAG).
//
//   node compare.mjs RESULTS.tsv --labels a,b,c [--ratio b/a --ratio c/b] [--tag TAG]
//
// Per label: req/s (successful req/s in brackets when some requests failed), p50/p99 ms, server
// CPU % (+ database CPU %), machine CPU busy %. Ratios divide successful req/s; in brackets the
// ratio of requests per server (+ database) CPU-second, less sensitive to a shared machine.
import fs from "node:fs";

const args = process.argv.slice(2);
let labels = [], ratios = [], tag = null;
const files = [];
for (let i = 0; i < args.length; i++) {
    if (args[i] === "--labels") labels = args[++i].split(",");
    else if (args[i] === "--ratio") ratios.push(args[++i].split("/"));
    else if (args[i] === "--tag") tag = args[++i];
    else files.push(args[i]);
}
if (!files.length || !labels.length) {
    console.error("usage: node compare.mjs RESULTS.tsv --labels a,b [--ratio b/a] [--tag TAG]");
    process.exit(2);
}
const rows = new Map();  // label|wl -> last row
const order = [];
for (const f of files) for (const line of fs.readFileSync(f, "utf8").split("\n")) {
    const c = line.split("\t");
    if (c.length < 14) continue;
    if (tag && c[1] !== tag) continue;
    const r = {label: c[2], wl: c[3], rps: +c[5], p50: +c[6], p99: +c[7], errors: +c[8], cpu: +c[9],
               rpc: +c[10], rss: +c[12], db: c[14] !== undefined ? +c[14] : 0,
               busy: c[15] !== undefined ? +c[15] : NaN, ok: c[16] !== undefined ? +c[16] : +c[5]};
    rows.set(`${r.label}|${r.wl}`, r);
    if (!order.includes(r.wl)) order.push(r.wl);
}
const rate = (x) => fmt(x, x < 100 ? 2 : 0);
const fmt = (x, d = 0) => Number.isFinite(x) ? x.toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d}) : "-";
const head = ["wl"];
for (const l of labels) head.push(`${l} req/s`, `${l} p50 / p99 ms`, `${l} CPU % srv (+db) / busy`);
for (const [a, b] of ratios) head.push(`${a} / ${b}`);
console.log(`| ${head.join(" | ")} |`);
console.log(`|${head.map(() => "---").join("|")}|`);
for (const wl of order) {
    const cells = [wl];
    for (const l of labels) {
        const r = rows.get(`${l}|${wl}`);
        if (!r) { cells.push("-", "-", "-"); continue; }
        const bad = r.ok < r.rps * 0.999;
        cells.push(bad ? `${rate(r.rps)} (${rate(r.ok)} ok, ${r.errors} errors)` : rate(r.rps),
            `${fmt(r.p50, 2)} / ${fmt(r.p99, 1)}`,
            `${fmt(r.cpu)}${r.db ? ` (+${fmt(r.db)})` : ""} / ${fmt(r.busy)}`);
    }
    for (const [a, b] of ratios) {
        const ra = rows.get(`${a}|${wl}`), rb = rows.get(`${b}|${wl}`);
        cells.push(ra && rb && rb.ok > 0 ? `${fmt(ra.ok / rb.ok, 2)}x` +
            (ra.rpc > 0 && rb.rpc > 0 ? ` (per CPU-s ${fmt(ra.rpc / rb.rpc, 2)}x)` : "") : "-");
    }
    console.log(`| ${cells.join(" | ")} |`);
}
