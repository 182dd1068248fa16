/**
 * The baseline of bench:exec's exec-sessions-100, in a process of its own as dockhand is: a
 * plain Node process holding idle terminal execs opened with dockerode directly. Prints
 * "loaded" once ready, opens the sessions on a line "open" on stdin and prints "opened", and
 * closes them and exits when stdin ends. Argv: container, count.
 */
import { createInterface } from "node:readline";
import type { Duplex } from "node:stream";
import Docker from "dockerode";

const [container = "", count = "100"] = process.argv.slice(2);
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const sockets: Duplex[] = [];

async function open(): Promise<void> {
  const exec = await docker
    .getContainer(container)
    .exec({ Cmd: ["sh"], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true });
  const socket = (await exec.start({ hijack: true, stdin: true, Tty: true })) as unknown as Duplex;
  socket.resume();
  sockets.push(socket);
}

/** Collects garbage (node --expose-gc), so that the growth measured is what the sessions hold. */
const collect = () => (globalThis as { gc?: () => void }).gc?.();

await open();
sockets.pop()?.end("exit\n");
collect();
console.log("loaded");
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "open") continue;
  for (let i = 0; i < Number(count); i++) await open();
  collect();
  console.log("opened");
}
for (const socket of sockets) socket.end("exit\n");
process.exit(0);
