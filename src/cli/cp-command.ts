import { existsSync, statSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";
import { once } from "node:events";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { CopyFormat, type CopyPathStat } from "../../gen/dockhand/v1/agent_interactive_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { UsageError, type CopyArgs } from "./client-args.js";
import { parseCopy } from "./copy-paths.js";
import { tarOf, untarInto } from "./local-tar.js";

type Agent = Client<typeof ContainerAgent>;

/**
 * `dockhand cp`, as docker cp: a file or a directory (with everything under it) into or out of a
 * container. Into an existing directory it lands under its own name; to a path that does not
 * exist yet, it is created there under that name. `-` is a tar archive on stdin or stdout.
 * Archives are made and unpacked by the host's tar, streamed both ways.
 */
export async function runCopy(args: CopyArgs, transport: Transport): Promise<number> {
  const plan = parseCopy(args.source, args.destination);
  const agent = createClient(ContainerAgent, transport);
  if (plan.direction === "out") await copyOut(agent, plan.container, plan.from, plan.to);
  else await copyIn(agent, plan.from, plan.container, plan.to);
  return 0;
}

/** What a container path is, or undefined when it does not exist: the first message of a copy out, which then stops. */
async function containerStat(agent: Agent, id: string, path: string): Promise<CopyPathStat | undefined> {
  const abort = new AbortController();
  try {
    for await (const m of agent.copyFromContainer({ id, path }, { signal: abort.signal }))
      if (m.item.case === "stat") return m.item.value;
    return undefined;
  } catch (err) {
    if (ConnectError.from(err).code === Code.NotFound) return undefined;
    throw err;
  } finally {
    abort.abort();
  }
}

async function copyIn(agent: Agent, from: string, id: string, to: string): Promise<void> {
  let path = to;
  let tar: AsyncIterable<Buffer>;
  if (from === "-") tar = process.stdin;
  else {
    if (!existsSync(from)) throw new UsageError(`cp: ${from}: no such file or directory`);
    const target = await containerStat(agent, id, to);
    if (target?.directory) tar = tarOf(from);
    else {
      path = posix.dirname(to);
      tar = tarOf(from, posix.basename(to));
    }
  }
  async function* requests() {
    yield { item: { case: "open" as const, value: { id, path, format: CopyFormat.TAR } } };
    for await (const chunk of tar) yield { item: { case: "chunk" as const, value: chunk } };
  }
  await agent.copyToContainerStream(requests());
}

async function copyOut(agent: Agent, id: string, from: string, to: string): Promise<void> {
  const stream = agent.copyFromContainer({ id, path: from, format: CopyFormat.TAR })[Symbol.asyncIterator]();
  const first = await stream.next();
  const stat = !first.done && first.value.item.case === "stat" ? first.value.item.value : undefined;
  async function* chunks() {
    for (let next = await stream.next(); !next.done; next = await stream.next())
      if (next.value.item.case === "chunk") yield next.value.item.value;
  }
  if (to === "-") {
    for await (const chunk of chunks()) if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
    return;
  }
  if (existsSync(to) && statSync(to).isDirectory()) return untarInto(to, chunks());
  if (!existsSync(dirname(to)) || !statSync(dirname(to)).isDirectory())
    throw new UsageError(`cp: ${dirname(to)}: no such directory`);
  // Unpacked beside the destination, then renamed to it: nothing is left half-written under its name.
  const staging = await mkdtemp(join(dirname(to), ".dockhand-cp-"));
  try {
    await untarInto(staging, chunks());
    await rename(join(staging, stat?.name ?? basename(from)), to);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
