// `npm run docs:tables`: rewrites the generated tables of the docs (settings, roles) from the code.
import { readFileSync, writeFileSync } from "node:fs";
import { rolesTable } from "../src/transport/auth/roles-table.js";
import { settingsTable } from "../src/app/config.js";

const tables: Array<{ file: string; name: string; render: () => string }> = [
  { file: "docs/configuration.md", name: "settings-table", render: settingsTable },
  { file: "docs/security.md", name: "roles-table", render: rolesTable },
];
for (const { file, name, render } of tables) {
  const text = readFileSync(file, "utf8");
  const marker = text.indexOf(`<!-- ${name}:`);
  if (marker < 0) throw new Error(`${file} has no <!-- ${name}: ... --> line before its table`);
  const start = text.indexOf("\n", marker) + 1;
  const end = text.indexOf("\n\n", start);
  writeFileSync(file, text.slice(0, start) + render() + text.slice(end));
}
