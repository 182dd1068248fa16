import { Code } from "@connectrpc/connect";
import { makeBody, type BodyKind } from "./body-mutations.js";
import { takeSnapshot, snapshotDiff } from "./fuzz-snapshot.js";
import type { FuzzTarget } from "./fuzz-target.js";
import { randomMessage } from "./message-generator.js";
import { createPrng } from "./prng.js";
import { discoverMethods } from "./service-discovery.js";
import { answerName, callMethod, createWireClient, framings, type CallResult, type Protocol } from "./wire-client.js";

export interface FuzzRunOptions {
  target: FuzzTarget;
  /** Printed at the start: the same seed replays the same cases. */
  seed: number;
  /** Stop after this many calls... */
  maxCalls: number;
  /** ...or this many seconds, whichever comes first. */
  maxSeconds: number;
  /** Run only this case of the seed (from a failure report), to replay it alone. */
  only?: number;
  /** Largest growth of dockhand's RSS over the run, in MiB. Default 200. */
  rssGrowthLimitMb?: number;
  log?: (line: string) => void;
}

export interface FuzzFailure {
  /** The case number: replay with FUZZ_SEED=<seed> FUZZ_CASE=<case>. */
  case: number;
  procedure: string;
  protocol: Protocol;
  body: string;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  calls: number;
  seconds: number;
  callsPerSecond: number;
  /** Answers by code ("ok", "InvalidArgument", ..., "open" for a stream cancelled while open). */
  codes: Record<string, number>;
  /** Calls by how their body was made ("valid", "flipped-bytes", ...) and protocol. */
  bodies: Record<string, number>;
  /** Refused calls after which the engine, the registry and dockhand's state were compared. */
  unchangedChecks: number;
  /** Of those, the ones that also compared the containers of a settled dockhand service. */
  settledChecks: number;
  rss: { startMb: number; maxMb: number; endMb: number };
  failures: FuzzFailure[];
}

/** Codes that say the call was refused before it acted: such a call must have changed nothing. */
const refusals = new Set<Code>([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.Unimplemented,
  Code.OutOfRange,
  Code.ResourceExhausted,
]);

/** The longest error message a client may get: dockhand cuts echoed input well below this. */
const maxMessageLength = 1024;

/** Each case's generator depends on the seed and its number only, so any case can be replayed alone. */
export function caseSeed(seed: number, index: number): number {
  return (seed + Math.imul(index + 1, 0x9e3779b9)) >>> 0;
}

/** Fires random and broken requests at every RPC over every protocol and checks each answer. */
export async function runFuzz(options: FuzzRunOptions): Promise<FuzzReport> {
  const { target, seed } = options;
  const log = options.log ?? (() => undefined);
  const methods = await discoverMethods(target.url);
  const client = createWireClient(target.url);
  const codes: Record<string, number> = {};
  const bodies: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  const rss = { startMb: target.rssMb(), maxMb: target.rssMb(), endMb: 0 };
  const started = Date.now();
  let calls = 0;
  let unchangedChecks = 0;
  let settledChecks = 0;
  log(
    `fuzz: seed ${seed}, ${methods.length} methods, up to ${options.maxCalls} calls or ${options.maxSeconds} s (replay: FUZZ_SEED=${seed})`,
  );
  const snapshot = () => takeSnapshot(target.docker, target.url, target.fixtures.registry);
  try {
    for (let index = options.only ?? 0; ; index++) {
      if (calls >= options.maxCalls || Date.now() - started > options.maxSeconds * 1000) break;
      if (options.only !== undefined && index > options.only) break;
      const rng = createPrng(caseSeed(seed, index));
      const method = rng.pick(methods);
      // Connect over HTTP/1.1 has no bidirectional streams (connect-node answers 505).
      const protocol: Protocol = method.methodKind === "bidi_streaming" ? "grpc" : rng.pick(["grpc", "connect"]);
      const binary = protocol === "grpc" ? rng.chance(0.9) : rng.chance(0.5);
      const message = randomMessage(method.input, rng, { fixtures: target.fixtures });
      const body = makeBody(method.input, message, binary ? "binary" : "json", rng);
      const framing = rng.chance(0.1) ? rng.pick(framings) : "normal";
      const before = await snapshot();
      const result = await callMethod(client, method, {
        protocol,
        binary,
        body: body.bytes,
        framing,
        timeoutMs: 2000,
        windowMs: 300,
        maxMessages: 5,
      });
      calls++;
      const codeName = answerName(result);
      codes[codeName] = (codes[codeName] ?? 0) + 1;
      const bodyName = `${protocol} ${binary ? "binary" : "json"} ${body.kind}${framing === "normal" ? "" : ` ${framing}`}`;
      bodies[bodyName] = (bodies[bodyName] ?? 0) + 1;
      const fail = (problem: string) => {
        const failure = {
          case: index,
          procedure: `${method.parent.typeName}/${method.name}`,
          protocol,
          body: `${describe(body.kind, binary, body.bytes.length)}, framing ${framing}`,
          problem,
        };
        failures.push(failure);
        log(`fuzz FAILURE case ${index}: ${failure.procedure} over ${protocol} with ${failure.body}: ${problem}`);
      };
      for (const problem of checkAnswer(result)) fail(problem);
      if (typeof result.code === "number" && refusals.has(result.code)) {
        unchangedChecks++;
        if (before.settled.size > 0) settledChecks++;
        const changed = snapshotDiff(before, await snapshot());
        if (changed.length) fail(`refused with ${Code[result.code]} but changed: ${changed.slice(0, 5).join("; ")}`);
      }
      if (calls % 20 === 0) {
        rss.maxMb = Math.max(rss.maxMb, target.rssMb());
        if (!(await target.healthy())) {
          fail(`dockhand is no longer healthy:\n${target.output()}`);
          break;
        }
      }
    }
    if (!(await target.healthy()))
      failures.push({
        case: -1,
        procedure: "-",
        protocol: "grpc",
        body: "-",
        problem: `dockhand is no longer healthy after the run:\n${target.output()}`,
      });
    rss.endMb = target.rssMb();
    rss.maxMb = Math.max(rss.maxMb, rss.endMb);
    const growth = options.rssGrowthLimitMb ?? 200;
    if (rss.maxMb - rss.startMb > growth) {
      failures.push({
        case: -1,
        procedure: "-",
        protocol: "grpc",
        body: "-",
        problem: `dockhand's RSS grew by ${(rss.maxMb - rss.startMb).toFixed(0)} MiB (limit ${growth})`,
      });
    }
  } finally {
    client.close();
  }
  const seconds = (Date.now() - started) / 1000;
  return {
    seed,
    calls,
    seconds,
    callsPerSecond: calls / seconds,
    codes,
    bodies,
    unchangedChecks,
    settledChecks,
    rss,
    failures,
  };
}

function describe(kind: BodyKind, binary: boolean, length: number): string {
  return `a ${kind} ${binary ? "binary" : "JSON"} body of ${length} bytes`;
}

function checkAnswer(result: CallResult): string[] {
  const problems: string[] = [];
  if (result.broken) problems.push(`no well-formed answer: ${result.broken}`);
  if (result.code === Code.Internal || result.code === Code.Unknown) {
    problems.push(`answered ${Code[result.code]}: ${result.message.slice(0, 300)}`);
  }
  if (result.message.length > maxMessageLength)
    problems.push(`an error message of ${result.message.length} characters: ${result.message.slice(0, 100)}…`);
  return problems;
}
