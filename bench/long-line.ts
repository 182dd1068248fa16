/**
 * npm run bench:long-line — what one follower of a container that writes a 60 MB line without a
 * newline costs dockhand in memory, against the baseline of the same 60 MB written as ordinary
 * 100-byte lines, measured in the same run. Each case runs a fresh dockhand process; its RSS is
 * read from /proc when idle and at its peak while the follower reads the output. Before log
 * lines were capped, the long line alone took dockhand from 99 to 357 MB (the security probe's
 * figure). Targets: the long line costs at most 2x the ordinary lines' growth (both are the
 * streaming working set and garbage not yet collected), and a line three times as long costs no
 * more than 1.25x as much: what a line costs no longer grows with its length.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ContainerAgent } from "../gen/dockhand/v1/container_agent_pb.js";
import { spawnDockhand } from "../test/support/dockhand-process.js";
import { dockerUrl, ensureTestImage, requireEngine, testImage } from "../test/support/engine.js";

const outputBytes = Number(process.env.BENCH_LINE_MB ?? 60) * 1024 * 1024;
const target = 2;
const flatTarget = 1.25;

/** Resident memory of a process, in MB; undefined once it is gone. */
function rssMb(pid: number): number | undefined {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
  } catch {
    return undefined;
  }
}

/** The pid and every descendant's (the child runs tsx, which runs dockhand in a process of its own). */
function tree(pid: number): number[] {
  const found = [pid];
  for (const each of found) {
    try {
      const children = readFileSync(`/proc/${each}/task/${each}/children`, "utf8").trim();
      if (children) found.push(...children.split(" ").map(Number));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const engine = await requireEngine();
ensureTestImage();

/** RSS growth of a fresh dockhand while one follower reads all of `script`'s output, in MB. */
async function growthMb(
  label: string,
  script: string,
  bytes: number,
): Promise<{ idle: number; peak: number; growth: number; longest: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), "dockhand-bench-long-line-"));
  const server = await spawnDockhand(["--data-dir", dataDir, "--docker-url", dockerUrl, "--log-level", "info"]);
  const agent = createClient(ContainerAgent, createGrpcTransport({ baseUrl: server.url }));
  const total = () => tree(server.child.pid!).reduce((sum, each) => sum + (rssMb(each) ?? 0), 0);
  const container = await engine.docker.createContainer({
    name: `dockhand-bench-long-line-${label}-${process.pid}`,
    Image: testImage,
    Cmd: ["sh", "-c", `${script}; sleep 3600`],
    Labels: { "dockhand.bench": `long-line-${process.pid}` },
  });
  try {
    // One call first, so the idle figure includes the loaded RPC stack.
    await agent.getInfo({});
    const idle = total();
    await container.start();
    let peak = idle;
    let read = 0;
    let longest = 0;
    const stop = new AbortController();
    const sampler = setInterval(() => (peak = Math.max(peak, total())), 50);
    try {
      for await (const message of agent.streamLogs({ id: container.id, follow: true }, { signal: stop.signal })) {
        for (const run of message.runs) {
          for (const line of run.lines) {
            read += line.length + (run.continued.length > 0 ? 0 : 1);
            longest = Math.max(longest, line.length);
          }
        }
        if (read >= bytes * 0.99) break;
      }
    } finally {
      stop.abort();
      clearInterval(sampler);
    }
    peak = Math.max(peak, total());
    return { idle, peak, growth: peak - idle, longest };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
    server.child.kill("SIGTERM");
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// 99 characters and a newline, repeated: the same bytes as ordinary lines.
const baseline = await growthMb("lines", `yes ${"a".repeat(98)} | head -c ${outputBytes}`, outputBytes);
const long = await growthMb("long", `head -c ${outputBytes} /dev/zero | tr '\\0' a`, outputBytes);
const longer = await growthMb("longer", `head -c ${3 * outputBytes} /dev/zero | tr '\\0' a`, 3 * outputBytes);
const ratio = long.growth / baseline.growth;
const flat = longer.growth / long.growth;
const mb = (n: number) => Math.round(n * 10) / 10;
console.log(
  JSON.stringify({
    bench: "long-line-rss-growth",
    unit: "MB",
    outputMb: outputBytes / 1024 / 1024,
    dockhand: mb(long.growth),
    baseline: mb(baseline.growth),
    ratio: Math.round(ratio * 100) / 100,
    target: `<=${target}`,
    met: ratio <= target,
    threeTimesLongerMb: mb(longer.growth),
    threeTimesLongerRatio: Math.round(flat * 100) / 100,
    flatTarget: `<=${flatTarget}`,
    flatMet: flat <= flatTarget,
    longIdlePeak: [mb(long.idle), mb(long.peak)],
    baselineIdlePeak: [mb(baseline.idle), mb(baseline.peak)],
    longestPartBytes: long.longest,
  }),
);
