// `npm run docs:settings`: rewrites README.md's Configuration table from src/server/settings.ts.
import { readFileSync, writeFileSync } from "node:fs";
import { settingsTable } from "../src/server/config.js";

const marker = "<!-- settings-table:";
const readme = readFileSync("README.md", "utf8");
const start = readme.indexOf("\n", readme.indexOf(marker)) + 1;
const end = readme.indexOf("\n\n", start);
if (readme.indexOf(marker) < 0 || end < 0) throw new Error(`README.md has no ${marker} line before the table`);
writeFileSync("README.md", readme.slice(0, start) + settingsTable() + readme.slice(end));
