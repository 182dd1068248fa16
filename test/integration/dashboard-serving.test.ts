import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { requireBuiltDashboard } from "../support/browser.js";
import { useTestServer } from "../support/server-fixture.js";

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with exactly the headers given (fetch would decompress and add its own). */
function raw(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The asset paths index.html names. */
function assetPaths(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
}

describe("dockhand serves the dashboard's built assets", () => {
  requireBuiltDashboard();
  const fx = useTestServer();

  it("serves index.html at GET / with no-cache, the protocol filled in, and a content security policy", async () => {
    const res = await raw(`${fx.server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    const html = res.body.toString();
    expect(html).toContain('<meta name="dockhand-protocol" content="grpcweb">');
    expect(assetPaths(html).length).toBe(2);

    const again = await raw(`${fx.server.url}/`, { headers: { "if-none-match": String(res.headers.etag) } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it("serves hashed assets with their content types, immutable caching, and brotli or gzip as asked", async () => {
    const html = (await raw(`${fx.server.url}/`)).body.toString();
    for (const path of assetPaths(html)) {
      const plain = await raw(`${fx.server.url}${path}`);
      expect(plain.status).toBe(200);
      expect(plain.headers["content-type"]).toBe(
        path.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8",
      );
      expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.headers.vary).toBe("accept-encoding");

      const gzip = await raw(`${fx.server.url}${path}`, { headers: { "accept-encoding": "gzip" } });
      expect(gzip.headers["content-encoding"]).toBe("gzip");
      expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);

      const br = await raw(`${fx.server.url}${path}`, { headers: { "accept-encoding": "gzip, deflate, br" } });
      expect(br.headers["content-encoding"]).toBe("br");
      expect(br.body.length).toBeLessThan(plain.body.length);
    }
    expect((await raw(`${fx.server.url}/assets/missing-0000.js`)).status).toBe(404);
  });

  it("keeps the whole dashboard at or under 250 KB gzipped", async () => {
    const index = await raw(`${fx.server.url}/`, { headers: { "accept-encoding": "gzip" } });
    let total = index.body.length;
    for (const path of assetPaths(gunzipSync(index.body).toString())) {
      total += (await raw(`${fx.server.url}${path}`, { headers: { "accept-encoding": "gzip" } })).body.length;
    }
    console.log(`dashboard: ${(total / 1024).toFixed(1)} KiB gzipped`);
    expect(total).toBeLessThanOrEqual(250 * 1000);
  });

  it("answers HEAD with the headers only and refuses other methods with 405", async () => {
    const head = await raw(`${fx.server.url}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBeGreaterThan(0);
    expect(head.body.length).toBe(0);
    const post = await raw(`${fx.server.url}/`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });
});

describe("--no-dashboard", () => {
  const fx = useTestServer({ dashboard: false });

  it("leaves GET / unanswered (404) while the RPCs and probes still serve", async () => {
    expect((await raw(`${fx.server.url}/`)).status).toBe(404);
    expect((await raw(`${fx.server.url}/healthz`)).status).toBe(200);
  });
});
