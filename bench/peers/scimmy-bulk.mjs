// Starts the harness's SCIMMY peer (scimmy-server.mjs, same arguments) with /Bulk switched on.
// The stock peer leaves SCIMMY's default `bulk.supported: false` and answers 501 to /Bulk; the
// protocol benchmark needs a Bulk-capable peer, so the limits are set to orgscim's defaults
// (1,000 operations, 1 MiB) before the routers read them.
import SCIMMY from "scimmy";

SCIMMY.Config.set("bulk", {supported: true, maxOperations: 1000, maxPayloadSize: 1048576});
await import("./scimmy-server.mjs");
