import { StringDecoder } from "node:string_decoder";

export interface LineBuffer {
  /** Adds a chunk and returns the lines it completed, without their newline. */
  push(chunk: Buffer | string): string[];
  /** What is left after the last newline (an unterminated last line), or "". */
  flush(): string;
}

/**
 * Splits a byte stream into lines. The engine's newline-delimited JSON arrives in chunks that
 * can end in the middle of an event, or of a multi-byte character, so both are held back until
 * the rest arrives.
 */
export function createLineBuffer(): LineBuffer {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  return {
    push(chunk) {
      const text = partial + (typeof chunk === "string" ? chunk : decoder.write(chunk));
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line)).filter((line) => line !== "");
    },
    flush() {
      const rest = partial + decoder.end();
      partial = "";
      return rest.trim();
    },
  };
}

/** The complete, non-empty lines of a chunked stream; an unterminated last line is kept. */
export async function* readLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const buffer = createLineBuffer();
  for await (const chunk of chunks) yield* buffer.push(chunk);
  const rest = buffer.flush();
  if (rest !== "") yield rest;
}
