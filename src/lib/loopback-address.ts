import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/** True for an IP address on the loopback network (127.0.0.0/8, ::1, or 127.x mapped into IPv6). */
export function isLoopbackIp(address: string): boolean {
  const plain = address.toLowerCase().replace(/^\[|\]$/g, "");
  const v4 = plain.startsWith("::ffff:") && isIP(plain.slice(7)) === 4 ? plain.slice(7) : plain;
  if (isIP(v4) === 4) return v4.split(".")[0] === "127";
  if (isIP(v4) !== 6) return false;
  // Every spelling of ::1 (0:0:0:0:0:0:0:1, ::0001) compares equal once written out in full.
  return expandIpv6(v4) === "0000:0000:0000:0000:0000:0000:0000:0001";
}

function expandIpv6(address: string): string {
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.map((group) => group.padStart(4, "0")).join(":");
}

/**
 * True when a listen address reaches only this host: every address the name resolves to is
 * loopback. A name is resolved, not read as text, so `127.example.com` is judged by its addresses.
 * A name that does not resolve is not loopback.
 */
export async function isLoopback(address: string): Promise<boolean> {
  if (isIP(address) !== 0) return isLoopbackIp(address);
  try {
    const found = await lookup(address, { all: true, verbatim: true });
    return found.length > 0 && found.every((entry) => isLoopbackIp(entry.address));
  } catch {
    return false;
  }
}
