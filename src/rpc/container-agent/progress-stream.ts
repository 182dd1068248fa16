/** A callback-reporting engine operation (pull, push) as the items of a server stream. */
import { createWakeup } from "../../lib/wakeup.js";

/** What a progress stream yields: every progress event, then the one result. */
export type StreamItem<P, R> = { kind: "progress"; value: P } | { kind: "result"; value: R };

/**
 * Turns a callback-reporting operation into an async iterable for a server-streaming RPC. The
 * operation runs at once; events are queued until the stream reads them, and its failure
 * rethrows after the events it reported before failing.
 */
export async function* progressStream<P, R>(
  run: (report: (event: P) => void) => Promise<R>,
): AsyncGenerator<StreamItem<P, R>> {
  const queue: P[] = [];
  const wakeup = createWakeup();
  let outcome: { ok: true; value: R } | { ok: false; error: unknown } | undefined;
  const report = (event: P) => {
    queue.push(event);
    wakeup.notify();
  };
  run(report)
    .then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    )
    .finally(() => wakeup.notify());

  for (;;) {
    const next = queue.shift();
    if (next !== undefined) {
      yield { kind: "progress", value: next };
      continue;
    }
    if (outcome) break;
    await wakeup.next();
  }
  if (!outcome.ok) throw outcome.error;
  yield { kind: "result", value: outcome.value };
}
