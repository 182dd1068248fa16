import { spawn } from "node:child_process";
import { once } from "node:events";
import { basename, dirname } from "node:path";

/** A name as a GNU tar `--transform` (sed) pattern matches it literally. */
function literal(pattern: string): string {
  return pattern.replace(/[\\.[\]*^$|]/g, (c) => `\\${c}`);
}

/** Waits for tar to exit, failing with what it said when it did not succeed. */
async function finished(child: ReturnType<typeof spawn>, stderr: string[]): Promise<void> {
  const [code] = (await once(child, "close")) as [number | null];
  if (code !== 0) throw new Error(`tar failed (${code}): ${stderr.join("").trim()}`);
}

/**
 * The host's tar archiving `path` (a file or a directory with everything under it), its top
 * entry renamed `as` when given, as docker cp does for a destination that does not exist yet.
 */
export async function* tarOf(path: string, as?: string): AsyncGenerator<Buffer> {
  const name = basename(path);
  const transform =
    as !== undefined && as !== name
      ? [`--transform=s|^${literal(name)}|${as.replace(/[\\&|]/g, (c) => `\\${c}`)}|rh`]
      : [];
  const child = spawn("tar", ["-c", "-f", "-", ...transform, "-C", dirname(path), name], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const done = finished(child, stderr);
  done.catch(() => undefined);
  for await (const chunk of child.stdout) yield chunk as Buffer;
  await done;
}

/** Unpacks a tar archive, read as it comes, into `directory` with the host's tar. */
export async function untarInto(directory: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const child = spawn("tar", ["-x", "-f", "-", "-C", directory], { stdio: ["pipe", "ignore", "pipe"] });
  const stderr: string[] = [];
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const done = finished(child, stderr);
  done.catch(() => undefined);
  child.stdin.on("error", () => undefined);
  for await (const chunk of chunks) if (!child.stdin.write(chunk)) await once(child.stdin, "drain");
  child.stdin.end();
  await done;
}
