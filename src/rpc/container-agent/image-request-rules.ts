import { invalidArgument } from "../../model/dockhand-error.js";
import { parseImageReference } from "../../model/image-reference.js";
import { quote } from "../../model/quote.js";

/** An image reference or image id (`sha256:<hex>` parses as one); returns it unchanged. */
export function checkImageRef(ref: string, field: string): string {
  if (ref === "") throw invalidArgument(field, "is required");
  const parsed = parseImageReference(ref);
  if (typeof parsed === "string") throw invalidArgument(field, `${quote(ref)} ${parsed}`);
  return ref;
}

/** `repository:tag`, as a tag target or a push needs: a tag and no digest. */
export function checkTaggedRef(ref: string, field: string): string {
  checkImageRef(ref, field);
  const parsed = parseImageReference(ref);
  if (typeof parsed !== "string" && (parsed.tag === undefined || parsed.digest !== undefined)) {
    throw invalidArgument(field, `${quote(ref)} must be repository:tag, for example "${parsed.repository}:1.0"`);
  }
  return ref;
}

/** An http or https URL; returns it normalized. */
export function checkUrl(raw: string, field: string): string {
  if (raw === "") throw invalidArgument(field, "is required");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidArgument(field, `${quote(raw)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidArgument(field, `${quote(raw)} must be an http:// or https:// URL`);
  }
  if (url.username || url.password) throw invalidArgument(field, "must not carry credentials");
  return url.href;
}

/** Label filters: each `key` or `key=value` with a non-empty key. */
export function checkLabelFilters(labels: readonly string[], field: string): void {
  labels.forEach((label, i) => {
    if (label.split("=", 1)[0]!.trim() === "") throw invalidArgument(`${field}[${i}]`, `${quote(label)} needs a label key`);
  });
}
