/** The local terminal of an interactive session: raw mode while it lasts, its size as it changes. */
export interface LocalTerminal {
  /** Rows and columns of stdout's terminal, or undefined when stdout is not one. */
  size(): { rows: number; columns: number } | undefined;
  /** Calls `listener` with the new size on each resize (SIGWINCH). */
  onResize(listener: (size: { rows: number; columns: number }) => void): void;
  /** Puts stdin in raw mode, when it is a terminal: keys go to the container as typed (Ctrl-C too). */
  enterRaw(): void;
  /** Leaves raw mode and stops listening; also done on exit and on SIGTERM/SIGHUP. */
  restore(): void;
}

export function createLocalTerminal(): LocalTerminal {
  const { stdin, stdout } = process;
  let raw = false;
  const listeners: Array<() => void> = [];
  const restore = () => {
    if (raw && stdin.isTTY) stdin.setRawMode(false);
    raw = false;
    for (const off of listeners.splice(0)) off();
  };
  // A signal that ends the client must not leave the user's shell in raw mode.
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.kill(process.pid, signal);
  };
  return {
    // A pseudo-terminal nobody sized reads 0x0, which no server takes: the engine's default then.
    size: () =>
      stdout.isTTY && stdout.rows > 0 && stdout.columns > 0
        ? { rows: stdout.rows, columns: stdout.columns }
        : undefined,
    onResize(listener) {
      if (!stdout.isTTY) return;
      const handler = () => {
        if (stdout.rows > 0 && stdout.columns > 0) listener({ rows: stdout.rows, columns: stdout.columns });
      };
      stdout.on("resize", handler);
      listeners.push(() => stdout.off("resize", handler));
    },
    enterRaw() {
      if (!stdin.isTTY || raw) return;
      stdin.setRawMode(true);
      raw = true;
      process.once("exit", restore);
      for (const signal of ["SIGTERM", "SIGHUP"] as const) {
        process.once(signal, onSignal);
        listeners.push(() => process.off(signal, onSignal));
      }
      listeners.push(() => process.off("exit", restore));
    },
    restore,
  };
}
