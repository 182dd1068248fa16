import { describe, expect, it } from "vitest";
import { parseImageReference } from "../../src/model/image-reference.js";
import { checkImage } from "../../src/model/definition-rules.js";

describe("parseImageReference", () => {
  it.each([
    ["busybox:1.36", "busybox", "1.36", undefined],
    ["library/busybox:latest", "library/busybox", "latest", undefined],
    ["127.0.0.1:5000/team/app:v2", "127.0.0.1:5000/team/app", "v2", undefined],
    ["localhost/app:1", "localhost/app", "1", undefined],
    ["registry.example/a/b/c:1_0", "registry.example/a/b/c", "1_0", undefined],
    [`app@sha256:${"a".repeat(64)}`, "app", undefined, `sha256:${"a".repeat(64)}`],
    [`app:1@sha256:${"b".repeat(64)}`, "app", "1", `sha256:${"b".repeat(64)}`],
  ])("parses %s", (ref, repository, tag, digest) => {
    expect(parseImageReference(ref)).toEqual({ repository, tag, digest });
  });

  it.each([
    ["", "is empty"],
    ["Busybox:1", "invalid repository name"],
    ["busybox:", "invalid tag"],
    ["bad image:1", "white space"],
    ["app@sha256:short", "invalid digest"],
    [`app@sha256:${"g".repeat(64)}`, "invalid sha256 digest"],
    [`app@sha256:${"A".repeat(64)}`, "invalid sha256 digest"],
    [`app@sha256:${"a".repeat(63)}`, "invalid sha256 digest"],
    [`app@md5:${"a".repeat(32)}`, "unsupported algorithm"],
    [`app:1@sha512:${"a".repeat(64)}`, "invalid sha512 digest"],
    ["a//b:1", "invalid repository name"],
    ["UPPER/case:1", "invalid repository name"],
  ])("rejects %j", (ref, problem) => {
    expect(parseImageReference(ref)).toContain(problem);
  });

  it("requires a tag or digest for service images", () => {
    expect(() => checkImage("busybox")).toThrow(/image: "busybox" needs a tag or a digest/);
    expect(() => checkImage("127.0.0.1:5000/app")).toThrow(/needs a tag/);
    expect(() => checkImage("busybox:1")).not.toThrow();
  });
});
