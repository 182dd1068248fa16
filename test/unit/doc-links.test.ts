import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

/** The user-facing documents: the README and every page under docs/. */
const documents = [
  "README.md",
  ...readdirSync("docs")
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f)),
];

/** Markdown without its fenced code blocks and inline code spans, where brackets are not links. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of prose(readFileSync(file, "utf8").replace(/`/g, "")).matchAll(/^#{1,6} +(.+?) *$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Each relative link of a document: its text's target, resolved from the document's folder. */
function relativeLinks(file: string): Array<{ target: string; path: string; anchor: string | undefined }> {
  const links = [...prose(readFileSync(file, "utf8")).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
  return links
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => {
      const [path, anchor] = target.split("#", 2) as [string, string | undefined];
      return { target, path: path === "" ? file : normalize(join(dirname(file), path)), anchor };
    });
}

describe("links in README.md and docs/", () => {
  it("finds the documents and their links", () => {
    expect(documents).toContain("README.md");
    expect(documents.length).toBeGreaterThan(3);
    expect(relativeLinks("README.md").length).toBeGreaterThan(10);
  });

  it.each(documents)(
    "every relative link of %s names a file or folder that exists, and an anchor its target has",
    (file) => {
      const broken: string[] = [];
      for (const link of relativeLinks(file)) {
        if (!existsSync(link.path)) broken.push(`${link.target}: no ${link.path}`);
        else if (link.anchor !== undefined) {
          if (!statSync(link.path).isFile() || !link.path.endsWith(".md"))
            broken.push(`${link.target}: not a Markdown page`);
          else if (!anchorsOf(link.path).has(link.anchor))
            broken.push(`${link.target}: ${link.path} has no heading #${link.anchor}`);
        }
      }
      expect(broken).toEqual([]);
    },
  );

  it("links every page under docs/ from the README", () => {
    const linked = new Set(relativeLinks("README.md").map((link) => link.path));
    expect(documents.filter((doc) => doc !== "README.md" && !linked.has(doc))).toEqual([]);
  });

  it("keeps the README a user guide: under 500 lines, the internals in docs/", () => {
    const readme = readFileSync("README.md", "utf8");
    expect(readme.split("\n").length).toBeLessThan(500);
    expect(readme).not.toMatch(/^## (Architecture|Figures|Development)/m);
    expect(readme).not.toMatch(/does not exist yet/);
  });

  it("reads GitHub's anchors as GitHub writes them", () => {
    expect(anchorsOf("README.md")).toContain("the-two-commands");
  });
});
