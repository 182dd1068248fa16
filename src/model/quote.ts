/** How many characters of a client's value an error message repeats. */
export const maxQuotedLength = 64;

/** The longest error message a client is sent; longer ones are cut (see `boundMessage`). */
export const maxMessageLength = 512;

function cut(text: string, length: number): string {
  // Never split a surrogate pair: half of one is not UTF-8 and becomes U+FFFD on the wire.
  const end = /[\uD800-\uDBFF]/.test(text[length - 1] ?? "") ? length - 1 : length;
  return text.slice(0, end);
}

/**
 * A client's value, in double quotes, for an error message: whole when short, otherwise its
 * first characters and its length. An error echoing a 100 KB value would overflow gRPC's
 * trailers and reach the client as a transport error instead of the real one.
 */
export function quote(value: string): string {
  if (value.length <= maxQuotedLength) return `"${value}"`;
  return `"${cut(value, maxQuotedLength)}…" (${value.length} characters)`;
}

/** The message itself, cut when longer than `maxMessageLength`, as a last guard for any error. */
export function boundMessage(message: string): string {
  if (message.length <= maxMessageLength) return message;
  return `${cut(message, maxMessageLength)}… (${message.length - maxMessageLength} more characters)`;
}
