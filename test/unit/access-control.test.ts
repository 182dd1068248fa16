import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { createAccessControl } from "../../src/transport/auth/access-control.js";
import { CredentialsFileError, readCredentialsFile } from "../../src/transport/auth/credentials-file.js";
import { openProcedures, procedureRoles, roleFor } from "../../src/transport/auth/procedure-roles.js";

const sha = (token: string) => createHash("sha256").update(token).digest("hex");

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "dockhand-tokens-")), "tokens.yml");
  writeFileSync(path, text);
  return path;
}

describe("procedure roles", () => {
  it("gives every RPC of every dockhand service a least role in the one table", () => {
    for (const service of [ServiceRegistry, Scaler, ContainerAgent]) {
      for (const method of service.methods) {
        const path = `/${service.typeName}/${method.name}`;
        expect(procedureRoles[path], path).toBeDefined();
      }
    }
  });

  it("keeps the issue's split: reads are viewer, scaling operator, creating containers and exec admin", () => {
    expect(roleFor("/dockhand.v1.Scaler/WatchStatus")).toBe("viewer");
    expect(roleFor("/dockhand.v1.Scaler/Scale")).toBe("operator");
    expect(roleFor("/dockhand.v1.ContainerAgent/PullImage")).toBe("operator");
    expect(roleFor("/dockhand.v1.ContainerAgent/Exec")).toBe("admin");
    expect(roleFor("/dockhand.v1.ServiceRegistry/DeleteService")).toBe("admin");
    expect(roleFor("/grpc.health.v1.Health/Check")).toBeUndefined();
    expect(openProcedures.has("/grpc.health.v1.Health/Watch")).toBe(true);
    expect(roleFor("/some.Unknown/Method")).toBe("admin");
  });
});

describe("access control", () => {
  const tokens = file(
    `tokens:\n  - {name: ci, role: operator, sha256: ${sha("s3cret")}}\n  - {name: eye, role: viewer, sha256: ${sha("look")}}\ncert_subjects:\n  - {subject: deployer.example, role: admin}\n`,
  );

  it("lets everything through as an anonymous admin when neither tokens nor mTLS are configured", () => {
    const access = createAccessControl({ tokensFile: "", clientCertificates: false });
    expect(access.enabled).toBe(false);
    expect(access.check("/dockhand.v1.ContainerAgent/Exec", {})).toMatchObject({
      allowed: true,
      caller: { name: "anonymous" },
    });
  });

  it("maps bearer tokens and certificate subjects to roles", () => {
    const access = createAccessControl({ tokensFile: tokens, clientCertificates: true });
    expect(access.check("/dockhand.v1.Scaler/Scale", { authorization: "Bearer s3cret" })).toMatchObject({
      allowed: true,
      caller: { name: "ci", role: "operator", via: "token" },
    });
    expect(access.check("/dockhand.v1.Scaler/Scale", { authorization: "bearer  look" })).toMatchObject({
      allowed: false,
      reason: "permission_denied",
    });
    expect(access.check("/dockhand.v1.ContainerAgent/Exec", { certSubject: "deployer.example" })).toMatchObject({
      allowed: true,
      caller: { via: "certificate" },
    });
    expect(access.check("/grpc.health.v1.Health/Check", {})).toMatchObject({ allowed: true });
    access.close();
  });

  it("follows a reload of the tokens file: a changed role applies and a removed token is refused at once", () => {
    const path = file(
      `tokens:\n  - {name: ci, role: operator, sha256: ${sha("s3cret")}}\n  - {name: eye, role: viewer, sha256: ${sha("look")}}\n`,
    );
    const access = createAccessControl({ tokensFile: path, clientCertificates: false, pollMs: 60_000 });
    for (let i = 0; i < 3; i++)
      expect(access.check("/dockhand.v1.Scaler/Scale", { authorization: "Bearer s3cret" })).toMatchObject({
        allowed: true,
        caller: { name: "ci", role: "operator" },
      });
    writeFileSync(path, `tokens:\n  - {name: ci, role: viewer, sha256: ${sha("s3cret")}}\n`);
    access.reload();
    expect(access.check("/dockhand.v1.Scaler/Scale", { authorization: "Bearer s3cret" })).toMatchObject({
      allowed: false,
      reason: "permission_denied",
    });
    expect(access.check("/dockhand.v1.Scaler/GetStatus", { authorization: "Bearer s3cret" })).toMatchObject({
      allowed: true,
      caller: { name: "ci", role: "viewer", via: "token" },
    });
    expect(access.check("/dockhand.v1.Scaler/GetStatus", { authorization: "Bearer look" })).toMatchObject({
      allowed: false,
      reason: "unauthenticated",
    });
    access.close();
  });

  it("never says whether a token exists; a header not of the form 'Bearer <token>' gets a hint on the form alone", () => {
    const access = createAccessControl({ tokensFile: tokens, clientCertificates: false });
    const unknown = access.check("/dockhand.v1.Scaler/GetStatus", { authorization: "Bearer nope" });
    expect(access.check("/dockhand.v1.Scaler/GetStatus", { authorization: "Bearer other" })).toEqual(unknown);
    expect(unknown).toMatchObject({
      allowed: false,
      reason: "unauthenticated",
      message: "the credentials sent are not valid",
    });
    const malformed = access.check("/dockhand.v1.Scaler/GetStatus", { authorization: "Basic abc" });
    expect(malformed).toMatchObject({ allowed: false, reason: "unauthenticated" });
    expect(!malformed.allowed && malformed.message).toContain("'Bearer <token>'");
    // A token sent bare, as some users do, gets the same hint whether it exists or not.
    expect(access.check("/dockhand.v1.Scaler/GetStatus", { authorization: "nope" })).toEqual(malformed);
    expect(access.check("/dockhand.v1.Scaler/GetStatus", {})).toMatchObject({
      allowed: false,
      reason: "unauthenticated",
    });
    access.close();
  });

  it("refuses a tokens file with a token in clear, a bad role or a repeated name, naming the entry", () => {
    expect(() => readCredentialsFile(file("tokens:\n  - {name: a, role: admin, sha256: hunter2}\n"))).toThrow(
      /tokens\[0\]\.sha256 must be 64 hex digits/,
    );
    expect(() => readCredentialsFile(file(`tokens:\n  - {name: a, role: root, sha256: ${sha("x")}}\n`))).toThrow(
      /tokens\[0\]\.role/,
    );
    expect(() =>
      readCredentialsFile(
        file(
          `tokens:\n  - {name: a, role: admin, sha256: ${sha("x")}}\n  - {name: a, role: admin, sha256: ${sha("y")}}\n`,
        ),
      ),
    ).toThrow(CredentialsFileError);
  });
});
