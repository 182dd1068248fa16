/** IP addresses as bytes, CIDR blocks and host normalization, for the download URL policy. */
import { isIPv4, isIPv6 } from "node:net";

/** An IP address as its bytes: 4 for IPv4, 16 for IPv6. */
export type IpBytes = Uint8Array;

/**
 * The host of a URL as the WHATWG URL parser normalizes it, so that every spelling of an IPv4
 * address (`2852039166`, `0xa9fea9fe`, `0251.0376.0251.0376`, `169.254.43518`) becomes its dotted
 * form, and an IPv6 literal its compressed form without brackets.
 */
export function normalizeHost(host: string): string {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  try {
    const hostname = new URL(`http://${isIPv6(bare) ? `[${bare}]` : bare}/`).hostname;
    return hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  } catch {
    return bare.toLowerCase();
  }
}

function ipv4Bytes(text: string): IpBytes {
  return Uint8Array.from(text.split(".").map(Number));
}

function ipv6Bytes(text: string): IpBytes {
  let head = text;
  let tail: number[] = [];
  // A trailing dotted quad (`::ffff:169.254.169.254`) is the last two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const b = ipv4Bytes(quad[1]);
    tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
    head = text.slice(0, -quad[1].length);
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  let groups: number[];
  if (head.includes("::")) {
    const [left, right] = head.split("::");
    const l = parse(left);
    const r = [...parse(right), ...tail];
    groups = [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  } else {
    groups = [...parse(head), ...tail];
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

/** The bytes of an IP address in its usual text form, or undefined when it is not one. */
export function parseIp(text: string): IpBytes | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (isIPv4(bare)) return ipv4Bytes(bare);
  // A zone (`fe80::1%eth0`) names an interface; the address is what comes before it.
  const unzoned = bare.split("%", 1)[0];
  if (isIPv6(unzoned)) return ipv6Bytes(unzoned);
  return undefined;
}

/** An address block: `10.0.0.0/8`, `fe80::/10`, or a single address. */
export interface IpBlock {
  bytes: IpBytes;
  prefix: number;
}

/** Parses `address[/prefix]`; undefined when it is neither. */
export function parseBlock(text: string): IpBlock | undefined {
  const [address, prefixText, extra] = text.split("/");
  if (extra !== undefined) return undefined;
  const bytes = parseIp(address);
  if (!bytes) return undefined;
  const bits = bytes.length * 8;
  if (prefixText === undefined) return { bytes, prefix: bits };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  return { bytes, prefix: Number(prefixText) };
}

export function inBlock(address: IpBytes, block: IpBlock): boolean {
  if (address.length !== block.bytes.length) return false;
  for (let bit = 0; bit < block.prefix; bit += 8) {
    const take = Math.min(8, block.prefix - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((address[bit / 8] & mask) !== (block.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

const embeddingBlocks: Array<{ block: IpBlock; offset: number }> = [
  { block: parseBlock("::ffff:0:0/96")!, offset: 12 }, // IPv4-mapped
  { block: parseBlock("::ffff:0:0:0/96")!, offset: 12 }, // IPv4-translated (SIIT)
  { block: parseBlock("64:ff9b::/96")!, offset: 12 }, // NAT64
  { block: parseBlock("64:ff9b:1::/48")!, offset: 12 }, // local-use NAT64
  { block: parseBlock("::/96")!, offset: 12 }, // IPv4-compatible (deprecated)
  { block: parseBlock("2002::/16")!, offset: 2 }, // 6to4
];

/** The IPv4 addresses an IPv6 address carries and may reach (mapped, NAT64, 6to4 ...). */
export function embeddedIpv4(address: IpBytes): IpBytes[] {
  if (address.length !== 16) return [];
  return embeddingBlocks
    .filter(({ block }) => inBlock(address, block))
    .map(({ offset }) => address.slice(offset, offset + 4));
}

export function formatIp(bytes: IpBytes): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(":");
}
