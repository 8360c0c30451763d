// Combines the outputs of wrk processes that ran side by side (one per server instance) into one
// RESULT line in the harness's format: requests, bytes and errors add up, the duration is the
// longest, and latency percentiles come from the mixture of the per-process distributions (each
// weighted by its request count, read off the QUANTILES lines of scim-ext.lua; exact to the grid
// of that line, 1 % below p90 and 0.1 % above).
//
//   node merge-wrk.mjs OUT1.txt [OUT2.txt ...]      prints: RESULT {...}
import fs from "node:fs";

const files = process.argv.slice(2);
if (!files.length) {
    console.error("usage: node merge-wrk.mjs WRK_OUTPUT...");
    process.exit(2);
}
const parts = files.map((f) => {
    const text = fs.readFileSync(f, "utf8");
    const res = text.match(/^RESULT (\{.*\})$/m);
    if (!res) throw new Error(`${f}: no RESULT line`);
    const q = text.match(/^QUANTILES (\{.*\})$/m);
    return {res: JSON.parse(res[1]), q: q ? JSON.parse(q[1]) : null};
});
if (parts.length === 1) {
    console.log("RESULT " + JSON.stringify(parts[0].res));
    process.exit(0);
}
if (parts.some((p) => !p.q)) throw new Error("merging needs QUANTILES lines (SCIM_QUANTILES=1)");

const sum = (k) => parts.reduce((s, p) => s + p.res[k], 0);
const total = sum("requests");
// F_i(x): the share of process i's requests at or below x, read off its percentile grid.
const cdf = (q, x) => {
    if (x < q.min) return 0;
    let f = 0;
    for (const [p, v] of q.q) if (v <= x) f = p / 100;
    return x >= q.max ? 1 : f;
};
const candidates = [...new Set(parts.flatMap((p) => [p.q.min, p.q.max, ...p.q.q.map((e) => e[1])]))]
    .sort((a, b) => a - b);
const quantile = (pct) => {
    for (const x of candidates) {
        const f = parts.reduce((s, p) => s + p.res.requests * cdf(p.q, x), 0) / Math.max(1, total);
        if (f >= pct / 100 - 1e-9) return x;
    }
    return candidates[candidates.length - 1];
};
const merged = {
    requests: total,
    duration_us: Math.max(...parts.map((p) => p.res.duration_us)),
    bytes: sum("bytes"),
    err_connect: sum("err_connect"),
    err_read: sum("err_read"),
    err_write: sum("err_write"),
    err_status: sum("err_status"),
    err_timeout: sum("err_timeout"),
    lat_mean_us: +(parts.reduce((s, p) => s + p.res.lat_mean_us * p.res.requests, 0) / Math.max(1, total)).toFixed(1),
    lat_p50_us: quantile(50),
    lat_p90_us: quantile(90),
    lat_p99_us: quantile(99),
    lat_max_us: Math.max(...parts.map((p) => p.res.lat_max_us)),
};
console.log("RESULT " + JSON.stringify(merged));
