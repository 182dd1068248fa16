import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync } from "node:zlib";

/** One file of the built dashboard, ready to send: its bytes in each encoding and its headers. */
export interface DashboardAsset {
  body: Buffer;
  gzip?: Buffer;
  br?: Buffer;
  contentType: string;
  cacheControl: string;
  etag: string;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".map": "application/json",
  ".woff2": "font/woff2",
};

/** Assets carry their content hash in their names, so a cached copy is never stale. */
const immutable = "public, max-age=31536000, immutable";
/** index.html names the current assets, so browsers check it each time (cheaply, by ETag). */
const revalidate = "no-cache";

/** dist/dashboard of the package this file belongs to, whether run from src/ (tsx) or dist/. */
export function defaultDashboardRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, "dist", "dashboard");
}

function etagOf(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
}

function readIfThere(path: string): Buffer | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

/**
 * Reads the built dashboard into memory, keyed by URL path (`/` and `/assets/...`). Assets come
 * with the gzip and brotli copies the build made; index.html gets `protocol` filled in and is
 * compressed here (it is small). Undefined when the dashboard was not built.
 */
export function loadDashboardAssets(root: string, protocol: string): Map<string, DashboardAsset> | undefined {
  const indexPath = join(root, "index.html");
  if (!existsSync(indexPath)) return undefined;
  const assets = new Map<string, DashboardAsset>();
  const index = Buffer.from(readFileSync(indexPath, "utf8").replaceAll("%DOCKHAND_PROTOCOL%", protocol));
  assets.set("/", {
    body: index,
    gzip: gzipSync(index),
    br: brotliCompressSync(index),
    contentType: contentTypes[".html"],
    cacheControl: revalidate,
    etag: etagOf(index),
  });
  for (const name of readdirSync(join(root, "assets"))) {
    if (name.endsWith(".gz") || name.endsWith(".br")) continue;
    const path = join(root, "assets", name);
    const body = readFileSync(path);
    assets.set(`/assets/${name}`, {
      body,
      gzip: readIfThere(`${path}.gz`),
      br: readIfThere(`${path}.br`),
      contentType: contentTypes[extname(name)] ?? "application/octet-stream",
      cacheControl: immutable,
      etag: etagOf(body),
    });
  }
  return assets;
}
