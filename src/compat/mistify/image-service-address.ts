import { resolveSrv } from "node:dns/promises";

/**
 * `HOST:PORT` of the mistify image service. Without a port, as the seed did, the port of the
 * first answer of a DNS SRV lookup of exactly HOST (the SRV target is ignored), found once.
 */
export function createImageServiceAddress(
  configured: string,
  lookupSrv: (name: string) => Promise<Array<{ port: number }>> = resolveSrv,
): () => Promise<string> {
  const hasPort = /^\[[^\]]+\]:\d+$|^[^:[\]]+:\d+$/.test(configured);
  let found: Promise<string> | undefined;
  return () => {
    if (hasPort) return Promise.resolve(configured);
    found ??= lookupSrv(configured.replace(/^\[|\]$/g, "")).then((answers) => {
      if (answers.length === 0) throw new Error(`no SRV record for ${configured}`);
      return `${configured}:${answers[0].port}`;
    });
    // A failed lookup is tried again on the next call, not kept.
    found.catch(() => (found = undefined));
    return found;
  };
}
