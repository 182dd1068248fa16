/**
 * bench:status's OTLP/HTTP endpoint for status-throughput-traced, in a process of its own (the
 * bench blocks its own event loop while h2load runs): takes JSON trace exports on
 * POST /v1/traces, counts their spans, and answers GET /spans with the count. Prints its port.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

let spans = 0;
const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/spans") {
    res.end(String(spans));
    return;
  }
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}") as {
      resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }>;
    };
    for (const resource of body.resourceSpans ?? [])
      for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
});
server.listen(0, "127.0.0.1", () => console.log((server.address() as AddressInfo).port));
