/**
 * Which hosts a LoadImage download may reach: never link-local or cloud-metadata addresses,
 * and only the configured allow-list when there is one (DNS answers included).
 */
import { lookup } from "node:dns/promises";
import { DockhandError } from "../../model/dockhand-error.js";
import {
  embeddedIpv4,
  formatIp,
  inBlock,
  normalizeHost,
  parseBlock,
  parseIp,
  type IpBlock,
  type IpBytes,
} from "./ip-address.js";

/**
 * Addresses a download must never reach, whatever the allow-list says: link-local (where the
 * cloud metadata services live, with the credentials of the machine) and the metadata
 * services' own addresses.
 */
export const forbiddenAddresses: readonly string[] = Object.freeze([
  "169.254.0.0/16", // IPv4 link-local; AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
  "fe80::/10", // IPv6 link-local
  "fd00:ec2::254", // AWS metadata over IPv6
  "100.100.100.200", // Alibaba Cloud metadata
]);

const forbiddenBlocks: IpBlock[] = forbiddenAddresses.map((text) => parseBlock(text)!);

/** Why `address` is forbidden, or undefined when it is not; IPv4 carried inside IPv6 counts. */
export function forbiddenReason(address: IpBytes): string | undefined {
  for (const candidate of [address, ...embeddedIpv4(address)]) {
    const block = forbiddenBlocks.find((b) => inBlock(candidate, b));
    if (block) return `${formatIp(candidate)} is a link-local or cloud-metadata address`;
  }
  return undefined;
}

const hostNamePattern =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** The allow-list's entries: host names, IP addresses and CIDRs. Throws on one that is neither. */
export function parseAllowedHosts(entries: readonly string[]): { names: Set<string>; blocks: IpBlock[] } {
  const names = new Set<string>();
  const blocks: IpBlock[] = [];
  for (const entry of entries) {
    const block = parseBlock(entry);
    if (block) blocks.push(block);
    else if (hostNamePattern.test(entry)) names.add(entry.toLowerCase().replace(/\.$/, ""));
    else throw new Error(`"${entry}" is not a host name, an IP address or a CIDR such as 10.0.0.0/8`);
  }
  return { names, blocks };
}

export interface LoadUrlPolicyOptions {
  /**
   * Host names, IP addresses or CIDRs a download may reach (`dockhand.load_allowed_hosts`).
   * A URL passes when its host name is listed or every address it resolves to is inside a
   * listed block. Default: empty, any host that is not forbidden.
   */
  allowedHosts?: readonly string[];
  /** Every address of a host name. Default: the system resolver (`dns.lookup`, all families). */
  resolve?: (hostname: string) => Promise<string[]>;
}

export interface LoadUrlPolicy {
  /**
   * The address to connect to for `url`: its host checked, and for a name every address it
   * resolves to, so that a second resolution (DNS rebinding) cannot lead elsewhere.
   * PermissionDenied when refused; Unavailable when the name does not resolve.
   */
  addressFor(url: URL, field: string): Promise<string>;
}

const systemResolve = async (hostname: string) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

function shortUrl(url: URL): string {
  return url.href.length > 120 ? `${url.href.slice(0, 117)}...` : url.href;
}

export function createLoadUrlPolicy(options: LoadUrlPolicyOptions = {}): LoadUrlPolicy {
  const allowed = parseAllowedHosts(options.allowedHosts ?? []);
  const restricted = allowed.names.size > 0 || allowed.blocks.length > 0;
  const resolve = options.resolve ?? systemResolve;

  return {
    async addressFor(url, field) {
      const refuse = (why: string) =>
        new DockhandError("PermissionDenied", `${field}: ${shortUrl(url)} is refused: ${why}`, { details: { field } });
      const host = normalizeHost(url.hostname);
      const literal = parseIp(host);
      // An IP literal is judged before anything is resolved or connected to.
      let addresses: string[];
      if (literal) {
        addresses = [host];
      } else {
        try {
          addresses = await resolve(host);
        } catch (err) {
          throw new DockhandError(
            "Unavailable",
            `${field}: ${shortUrl(url)}: cannot resolve ${host}: ${(err as { code?: string }).code ?? (err as Error).message}`,
            {
              cause: err,
              details: { field },
            },
          );
        }
        if (addresses.length === 0)
          throw new DockhandError("Unavailable", `${field}: ${shortUrl(url)}: ${host} has no address`, {
            details: { field },
          });
      }
      const parsed = addresses.map((address) => ({ address, bytes: parseIp(address) }));
      for (const { address, bytes } of parsed) {
        if (!bytes) throw refuse(`${host} resolves to "${address}", which is not an IP address`);
        const reason = forbiddenReason(bytes);
        if (reason) throw refuse(literal ? reason : `${host} resolves to ${reason}`);
      }
      if (restricted && !allowed.names.has(host)) {
        const outside = parsed.find(({ bytes }) => !allowed.blocks.some((block) => inBlock(bytes!, block)));
        if (outside) throw refuse(`${host} is not in dockhand.load_allowed_hosts`);
      }
      return parsed[0].address;
    },
  };
}
