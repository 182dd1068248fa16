import { describe, expect, it } from "vitest";
import { dockerEventFilters, dockerSince, parseDockerEvent } from "../../src/engine/docker/docker-event-mapping.js";
import { createLineBuffer, readLines } from "../../src/engine/line-buffer.js";

const start =
  '{"status":"start","id":"abc","from":"img","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"dockhand.service":"web","name":"web-1"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}';
const die =
  '{"Type":"container","Action":"die","Actor":{"ID":"abc","Attributes":{"exitCode":"137","name":"web-1"}},"time":1700000001,"timeNano":1700000001000000001}';

async function* chunks(...parts: (string | Buffer)[]) {
  for (const part of parts) yield part;
}

async function collect(parts: (string | Buffer)[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readLines(chunks(...parts))) lines.push(line);
  return lines;
}

describe("line buffering of the engine's event stream", () => {
  it("holds back half an event until the rest arrives", () => {
    const buffer = createLineBuffer();
    expect(buffer.push(start.slice(0, 40))).toEqual([]);
    expect(buffer.push(start.slice(40, 100))).toEqual([]);
    expect(buffer.push(`${start.slice(100)}\n`)).toEqual([start]);
  });

  it("splits a chunk holding several events and the start of the next", async () => {
    const text = `${start}\n${die}\n${start}\n`;
    const cut = text.length - 20;
    expect(await collect([text.slice(0, cut), text.slice(cut)])).toEqual([start, die, start]);
  });

  it("yields the same lines whatever the chunk boundaries", async () => {
    const text = `${start}\n${die}\n`;
    for (let size = 1; size < text.length; size += 7) {
      const parts: string[] = [];
      for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
      expect(await collect(parts)).toEqual([start, die]);
    }
  });

  it("keeps a multi-byte character cut between two chunks", async () => {
    const line =
      '{"Type":"container","Action":"start","Actor":{"ID":"x","Attributes":{"note":"héllo ✓"}},"timeNano":1}';
    const bytes = Buffer.from(`${line}\n`);
    const cut = bytes.indexOf(Buffer.from("✓")) + 1;
    expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([line]);
  });

  it("ignores blank lines and CRLF endings, and keeps an unterminated last line", async () => {
    expect(await collect([`\r\n${start}\r\n\n`, die])).toEqual([start, die]);
  });
});

describe("parsing engine events", () => {
  it("reads the exact nanosecond time, which a JavaScript number cannot hold", () => {
    const event = parseDockerEvent(start);
    expect(event?.timeNano).toBe(1700000000123456789n);
    expect(event?.time.toISOString()).toBe("2023-11-14T22:13:20.123Z");
    expect(event).toMatchObject({ type: "container", action: "start", id: "abc", detail: "" });
    expect(event?.attributes["dockhand.service"]).toBe("web");
  });

  it("gives a die event its exit code and a health event its status", () => {
    expect(parseDockerEvent(die)?.exitCode).toBe(137);
    const health = parseDockerEvent(
      '{"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"a"},"timeNano":5}',
    );
    expect(health).toMatchObject({ action: "health_status", detail: "unhealthy", health: "unhealthy" });
  });

  it("skips other event types and lines that are not JSON", () => {
    expect(parseDockerEvent('{"Type":"network","Action":"connect","Actor":{"ID":"n"},"timeNano":1}')).toBeUndefined();
    expect(parseDockerEvent("not json")).toBeUndefined();
  });

  it("formats since with nanoseconds and builds the engine's filters", () => {
    expect(dockerSince(1700000000000000042n)).toBe("1700000000.000000042");
    expect(dockerEventFilters({ labels: ["a=b"], actions: ["start"] })).toEqual({
      type: ["container", "image"],
      label: ["a=b"],
      event: ["start"],
    });
  });
});
