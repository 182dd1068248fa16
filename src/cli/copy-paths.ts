import { UsageError } from "./client-args.js";

/** One side of `dockhand cp`: a path in a container, a local path, or `-` (a tar on stdin or stdout). */
export type CopyEnd = { container: string; path: string } | { local: string };

/**
 * docker cp's reading of an argument: `CONTAINER:PATH` names a path in a container; a path that
 * starts with `/` or `.` is local even with a colon in it (`./a:b`), as is one without a colon.
 * A container path is absolute: a relative one is taken from the container's root, as docker does.
 */
export function parseCopyEnd(arg: string): CopyEnd {
  if (arg === "") throw new UsageError("cp: an empty path");
  const colon = arg.indexOf(":");
  if (colon < 0 || arg.startsWith("/") || arg.startsWith(".")) return { local: arg };
  const container = arg.slice(0, colon);
  const path = arg.slice(colon + 1);
  if (container === "") throw new UsageError(`cp: "${arg}" names no container before the colon`);
  if (path === "") throw new UsageError(`cp: "${arg}" names no path after the colon`);
  return { container, path: path.startsWith("/") ? path : `/${path}` };
}

/** The two ends of a copy: exactly one of them in a container. */
export function parseCopy(
  source: string,
  destination: string,
):
  | { direction: "in"; from: string; container: string; to: string }
  | { direction: "out"; container: string; from: string; to: string } {
  const from = parseCopyEnd(source);
  const to = parseCopyEnd(destination);
  if ("container" in from && "container" in to)
    throw new UsageError("cp: copying from one container to another is not supported: copy out, then in");
  if ("container" in from && "local" in to)
    return { direction: "out", container: from.container, from: from.path, to: to.local };
  if ("local" in from && "container" in to)
    return { direction: "in", from: from.local, container: to.container, to: to.path };
  throw new UsageError("cp: one of the two paths must be CONTAINER:PATH");
}
