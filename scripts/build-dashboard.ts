// Builds the browser dashboard (dashboard/) into dist/dashboard: type-checks it, bundles it with
// esbuild into content-hashed assets, writes index.html, and stores a gzip and a brotli copy
// of each text file beside it so the server never compresses at request time.
// `npm run build` runs it; so do `npm start`, `npm test` and the Dockerfile.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

const source = "dashboard";
const out = join("dist", "dashboard");

const check = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", join(source, "tsconfig.json")], {
  stdio: "inherit",
});
if (check.status !== 0) {
  console.error("build-dashboard: the dashboard does not type-check");
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(source, "main.tsx")],
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome109", "firefox115", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  outdir: join(out, "assets"),
  entryNames: "[name]-[hash]",
  // What a page loads on first use only (the console's terminal) comes as its own chunk, imported when needed.
  splitting: true,
  chunkNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
// The page links the entry's script and its stylesheet; the lazy chunks are imported by the script.
const [entryScript, entry] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint !== undefined) ?? [];
const script = entryScript && basename(entryScript);
const style = entry?.cssBundle && basename(entry.cssBundle);
// A chunk the entry imports statically would load with every page unseen by the size test, which
// counts what index.html links: what a lazy chunk shares with the page stays in the page instead.
const shared = entry?.imports.filter((i) => i.kind === "import-statement") ?? [];
if (shared.length > 0)
  throw new Error(`build-dashboard: the page imports shared chunks (${shared.map((i) => i.path).join(", ")})`);
if (!script || !style) throw new Error(`build-dashboard: expected a .js and a .css output, got ${outputs.join(", ")}`);

// The server fills in the protocol (its dashboardProtocol setting) when it loads this file.
writeFileSync(
  join(out, "index.html"),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="dockhand-protocol" content="%DOCKHAND_PROTOCOL%">
<title>dockhand</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"><noscript>The dockhand dashboard needs JavaScript.</noscript></div>
</body>
</html>
`,
);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

let gzipped = 0;
for (const file of filesUnder(out)) {
  const body = readFileSync(file);
  const gz = gzipSync(body, { level: 9 });
  gzipped += gz.length;
  if (file.endsWith("index.html")) continue;
  writeFileSync(`${file}.gz`, gz);
  writeFileSync(
    `${file}.br`,
    brotliCompressSync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  );
}
console.log(`build-dashboard: ${out} (${outputs.join(", ")}, index.html), ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
