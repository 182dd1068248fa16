/**
 * A signal for the dial of a streaming engine request only. Node destroys a request with an
 * AbortError when its signal aborts, at any time: once the answer is being read (or fully
 * read), that error lands on a socket nobody listens to and crashes the process. So the
 * caller's signal is forwarded only until the answer arrives; after that its owner ends the
 * stream quietly (destroy without an error).
 */
export async function dialUnder<T>(
  signal: AbortSignal | undefined,
  dial: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const forward = () => controller.abort(signal?.reason);
  if (signal?.aborted) forward();
  else signal?.addEventListener("abort", forward, { once: true });
  try {
    return await dial(controller.signal);
  } finally {
    signal?.removeEventListener("abort", forward);
  }
}

/** Ends `stream` quietly when `signal` aborts, until the stream closes. */
export function endOnAbort(
  stream: { destroy(): void; once(event: "close", listener: () => void): unknown },
  signal?: AbortSignal,
): void {
  if (!signal) return;
  const end = () => stream.destroy();
  if (signal.aborted) return end();
  signal.addEventListener("abort", end, { once: true });
  stream.once("close", () => signal.removeEventListener("abort", end));
}
