/** A failure before any method runs: gorilla/rpc answered these in plain text, without an envelope. */
export class RpcTransportError extends Error {
  override readonly name = "RpcTransportError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A method's failure: HTTP 200 with the text in the envelope's `error`. */
export class RpcMethodError extends Error {}

export interface RpcRequest {
  /** `MDocker.<Name>`. */
  method: string;
  /** `params[0]`; undefined for `[]` (the method's zero request). */
  param: unknown;
  /** The id exactly as sent (its JSON text), or undefined for a notification (absent or null). */
  rawId: string | undefined;
}

/** The end of the JSON value starting at `at` (after whitespace), scanning strings and brackets. */
function valueEnd(text: string, at: number): number {
  let i = at;
  while (/\s/.test(text[i] ?? "")) i++;
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      if (depth === 0) return i + 1;
    } else if (c === "{" || c === "[") {
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
      if (depth < 0) return i;
    } else if (depth === 0 && (c === "," || /\s/.test(c))) {
      return i;
    }
  }
  return i;
}

/** The raw text of each top-level member's value of a JSON object (already known to be valid). */
function rawMembers(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = text.indexOf("{") + 1;
  for (;;) {
    while (/[\s,]/.test(text[i] ?? "")) i++;
    if (text[i] !== '"') return members;
    const keyEnd = valueEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = text.indexOf(":", keyEnd) + 1;
    const end = valueEnd(text, i);
    members.set(key, text.slice(i, end).trim());
    i = end;
  }
}

/** The member of `object` named `name`: an exact match first, then any case, as Go decodes. */
export function member(object: Record<string, unknown>, name: string): unknown {
  if (name in object) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

function rawMember(members: Map<string, string>, name: string): string | undefined {
  if (members.has(name)) return members.get(name);
  for (const [key, value] of members) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Go's json error for a value of the wrong JSON type. */
export function unmarshalError(value: unknown, goType: string): RpcTransportError {
  const kind =
    value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "object" ? "object" : typeof value;
  return new RpcTransportError(400, `json: cannot unmarshal ${kind} into Go value of type ${goType}`);
}

/**
 * Decodes a request body as gorilla/rpc's v1 JSON codec did: the first JSON value is the
 * request, `params` is required, and only `params[0]` counts. Throws RpcTransportError.
 */
export function decodeRpcRequest(body: string): RpcRequest {
  const trimmed = body.trimStart();
  if (trimmed === "") throw new RpcTransportError(400, "EOF");
  const first = trimmed.slice(0, valueEnd(trimmed, 0));
  let envelope: unknown;
  try {
    envelope = JSON.parse(first);
  } catch {
    const c = trimmed[0];
    throw new RpcTransportError(
      400,
      /[{["\d\-tfn]/.test(c) ? "unexpected EOF" : `invalid character '${c}' looking for beginning of value`,
    );
  }
  if (!envelope || typeof envelope !== "object" || Array.isArray(envelope))
    throw unmarshalError(envelope, "json.serverRequest");
  const fields = envelope as Record<string, unknown>;
  const method = member(fields, "method");
  if (typeof method !== "string") throw unmarshalError(method, "string");
  const params = member(fields, "params");
  if (params === undefined || params === null)
    throw new RpcTransportError(400, "rpc: method request ill-formed: missing params field");
  if (!Array.isArray(params)) throw unmarshalError(params, "[1]interface {}");
  const rawId = rawMember(rawMembers(first), "id");
  return { method, param: params[0], rawId: rawId === undefined || rawId === "null" ? undefined : rawId };
}

/** The reply envelope, the id echoed as sent; one line, as Go's encoder writes it. */
export function encodeRpcReply(rawId: string, result: unknown, error: string | undefined): string {
  const resultText = error === undefined ? JSON.stringify(result ?? null) : "null";
  return `{"result":${resultText},"error":${error === undefined ? "null" : JSON.stringify(error)},"id":${rawId}}\n`;
}
