import { quote } from "./quote.js";

/**
 * Parses a Docker image reference: `[registry[:port]/]path[:tag][@algo:hex]`, following the
 * grammar of the distribution project's `reference` package.
 */
export interface ImageReference {
  /** Everything before the tag/digest, e.g. `127.0.0.1:5000/team/app`. */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const registryHost =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
/** The algorithms the engine can verify, and their lower-case hex lengths (opencontainers/go-digest). */
const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** The digest's problem, if any: the grammar allows more than the engine accepts at pull time. */
function digestProblem(digest: string): string | undefined {
  if (!digestPattern.test(digest)) return `has an invalid digest ${quote(digest)}`;
  const [algorithm = "", hex = ""] = digest.split(":");
  const length = digestHexLength[algorithm];
  if (length === undefined)
    return `has a digest with an unsupported algorithm ${quote(algorithm)} (sha256, sha384 or sha512)`;
  if (!new RegExp(`^[a-f0-9]{${length}}$`).test(hex)) {
    return `has an invalid ${algorithm} digest ${quote(digest)}: ${length} lower-case hex digits are needed`;
  }
  return undefined;
}

/** Returns the parsed reference, or a sentence saying what is wrong with it. */
export function parseImageReference(ref: string): ImageReference | string {
  if (ref.length === 0) return "is empty";
  if (ref.length > 255 + 128 + 80) return "is too long";
  if (/\s/.test(ref)) return "must not contain white space";
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = digestProblem(digest);
    if (problem) return problem;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) return `has an invalid tag ${quote(tag)}`;
  }
  const parts = rest.split("/");
  const first = parts[0] ?? "";
  // As Docker 20.10 reads it: only a dot, a port or "localhost" marks a registry host.
  const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasRegistry && !registryHost.test(first)) return `has an invalid registry ${quote(first)}`;
  const path = hasRegistry ? parts.slice(1) : parts;
  if (path.length === 0) return "names no repository";
  for (const component of path) {
    if (!pathComponent.test(component)) {
      return `has an invalid repository name ${quote(rest)} (lower-case letters, digits and separators . _ - only)`;
    }
  }
  return { repository: rest, tag, digest };
}
