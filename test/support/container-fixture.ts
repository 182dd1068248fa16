/** A test file's dockhand server on the host engine, with a ContainerAgent client and clean-up of what the file made. */
import { Code, type Client, type ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import type { Container, ContainerSpec } from "../../gen/dockhand/v1/agent_containers_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ContainerSpecSchema } from "../../gen/dockhand/v1/agent_containers_pb.js";
import type { Config } from "../../src/app/config.js";
import { clientFor } from "./clients.js";
import { failureOf } from "./failure.js";
import { useForFile } from "./file-fixture.js";
import { requireEngine, testImage } from "./engine.js";
import { removeDataDir, startTestServer, type TestServer } from "./test-server.js";

/** The plain-object form of a spec (not a ready message), so that it can be spread. */
type SpecInit = Exclude<MessageInitShape<typeof ContainerSpecSchema>, ContainerSpec>;

/** A server, a ContainerAgent client and bookkeeping to remove every container a test file makes. */
export interface ContainerFixture {
  readonly engine: Awaited<ReturnType<typeof requireEngine>>;
  readonly server: TestServer;
  readonly agent: Client<typeof ContainerAgent>;
  /** Label every container of this fixture carries, as `key=value` for a selector. */
  readonly selector: string;
  readonly labels: Record<string, string>;
  /** A container name no other test (or run) uses. */
  name(prefix: string): string;
  /** Creates a labelled container (not started): by default an init'ed `sleep 3600`. */
  create(spec?: Partial<SpecInit>): Promise<Container>;
  /** Creates and starts one. */
  run(spec?: Partial<SpecInit>): Promise<Container>;
  /** Remembers an image to remove at the end. */
  trackImage(ref: string): void;
  /** Remembers a named volume to remove at the end. */
  trackVolume(name: string): void;
  close(): Promise<void>;
}

/** A container fixture for one test file (see useForFile); its members are there inside tests and hooks. */
export function useContainerFixture(prefix: string, overrides: Partial<Config> = {}): ContainerFixture {
  return useForFile("the container fixture", () => startContainerFixture(prefix, overrides));
}

export async function startContainerFixture(
  prefix: string,
  overrides: Partial<Config> = {},
): Promise<ContainerFixture> {
  const engine = await requireEngine();
  const server = await startTestServer(engine, overrides);
  const agent = clientFor(ContainerAgent, server.url);
  const run = `${prefix}-${process.pid}-${Date.now().toString(36)}`;
  const labels = { "dockhand-test.agent": run };
  const images: string[] = [];
  const volumes: string[] = [];
  let counter = 0;
  const fixture: ContainerFixture = {
    engine,
    server,
    agent,
    selector: `dockhand-test.agent=${run}`,
    labels,
    name: (what) => `t-${what}-${run}-${counter++}`,
    async create(spec = {}) {
      const full: SpecInit = { image: testImage, command: ["sleep", "3600"], init: true, ...spec };
      full.labels = { ...labels, ...(spec.labels ?? {}) };
      const created = await agent.createContainer({ spec: full });
      return created.container as Container;
    },
    async run(spec = {}) {
      const created = await fixture.create(spec);
      return (await agent.startContainer({ id: created.id })).container as Container;
    },
    trackImage: (ref) => void images.push(ref),
    trackVolume: (name) => void volumes.push(name),
    async close() {
      const left = await engine.containers.list({ all: true, labels: [fixture.selector] });
      await Promise.all(
        left.map((c) => engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined)),
      );
      for (const ref of images)
        await engine.docker
          .getImage(ref)
          .remove({ force: true })
          .catch(() => undefined);
      for (const name of volumes)
        await engine.docker
          .getVolume(name)
          .remove()
          .catch(() => undefined);
      await server.close();
      removeDataDir(server.dataDir);
    },
  };
  return fixture;
}

/** Asserts the call fails with `code` and a message containing each of `mentions`. */
export async function expectCode(
  call: Promise<unknown> | AsyncIterable<unknown>,
  code: Code,
  ...mentions: string[]
): Promise<ConnectError> {
  const err = await failureOf(call);
  expect(Code[err.code], err.rawMessage).toBe(Code[code]);
  for (const text of mentions) expect(err.rawMessage).toContain(text);
  return err;
}
