import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A test CA, a server certificate for 127.0.0.1 and localhost, and client certificates. */
export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Makes a client certificate signed by the CA (or by `otherCa`) with this CN. */
  client(cn: string, options?: { signedBy?: "ca" | "stranger" }): { cert: string; key: string };
  /** Makes a new server certificate and key, with a new serial, written over the old files. */
  renewServer(): void;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function newCa(dir: string, name: string): void {
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
  ]);
}

function sign(dir: string, ca: string, name: string, cn: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    `/CN=${cn}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
  ]);
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  ]);
}

const serverExtensions = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";
const clientExtensions = "extendedKeyUsage=clientAuth\n";

/** Made at run time with Debian's openssl, in a temporary folder. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-pki-"));
  newCa(dir, "test-ca");
  newCa(dir, "stranger-ca");
  const renewServer = () => sign(dir, "test-ca", "server", "dockhand-test-server", serverExtensions);
  renewServer();
  return {
    dir,
    caCert: join(dir, "test-ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    client(cn, options = {}) {
      const name = `client-${cn.replace(/[^a-z0-9-]/gi, "_")}-${options.signedBy ?? "ca"}`;
      sign(dir, options.signedBy === "stranger" ? "stranger-ca" : "test-ca", name, cn, clientExtensions);
      return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
    },
    renewServer,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The SHA-256 fingerprint of a PEM certificate file, as Node's TLS peer certificate gives it. */
export function fingerprintOf(certFile: string): string {
  return execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", certFile], { encoding: "utf8" })
    .trim()
    .replace(/^.*=/, "");
}
