import { once } from "node:events";
import { OutputStream, type ExecOutput } from "../../gen/dockhand/v1/agent_streams_pb.js";

/**
 * Writes a session's output where it belongs, stderr apart, and waits while the local side
 * holds it back: the next message is read only then, so a slow terminal slows the command.
 */
export async function writeOutput(output: ExecOutput): Promise<void> {
  const stream = output.stream === OutputStream.STDERR ? process.stderr : process.stdout;
  if (!stream.write(output.data)) await once(stream, "drain");
}

/** Feeds stdin to a session: `push` each chunk, pausing while `backlog()` is high; `end` at end of input. */
export function readStdin(push: (chunk: Buffer) => void, end: () => void, backlog: () => number): () => void {
  const { stdin } = process;
  const onData = (chunk: Buffer) => {
    push(chunk);
    if (backlog() > 8) {
      stdin.pause();
      const resume = setInterval(() => {
        if (backlog() > 2) return;
        clearInterval(resume);
        stdin.resume();
      }, 5);
    }
  };
  stdin.on("data", onData);
  stdin.once("end", end);
  return () => {
    stdin.off("data", onData);
    stdin.off("end", end);
    stdin.destroy();
  };
}
