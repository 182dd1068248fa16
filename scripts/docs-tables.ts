// `npm run docs:tables`: rewrites README.md's generated tables (settings, roles) from the code.
import { readFileSync, writeFileSync } from "node:fs";
import { rolesTable } from "../src/transport/auth/roles-table.js";
import { settingsTable } from "../src/app/config.js";

const tables: Record<string, () => string> = { "settings-table": settingsTable, "roles-table": rolesTable };
let readme = readFileSync("README.md", "utf8");
for (const [name, render] of Object.entries(tables)) {
  const marker = readme.indexOf(`<!-- ${name}:`);
  if (marker < 0) throw new Error(`README.md has no <!-- ${name}: ... --> line before its table`);
  const start = readme.indexOf("\n", marker) + 1;
  const end = readme.indexOf("\n\n", start);
  readme = readme.slice(0, start) + render() + readme.slice(end);
}
writeFileSync("README.md", readme);
