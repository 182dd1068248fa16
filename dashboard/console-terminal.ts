import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import type { ConsoleRequest, openConsoleSocket } from "./console-socket.js";

export interface ConsoleOptions {
  /** The element the terminal fills; it carries `data-rows` and `data-columns` of the terminal's size. */
  host: HTMLElement;
  /** The container. */
  id: string;
  /** argv of the command to run with a terminal. */
  command: string[];
  /** The command started. */
  started(): void;
  /** The session ended: how, in words (the exit code, or why it was cut). */
  ended(how: string): void;
  /** Opens the session's socket (passed in, so this lazily loaded chunk holds xterm.js alone). */
  openSocket: typeof openConsoleSocket;
}

const encoder = new TextEncoder();

/**
 * xterm.js's renderer writes its colours and cell sizes into <style> elements it adds under the
 * terminal, which the dashboard's content security policy (no inline styles) does not apply. The
 * same rules are applied here as constructed style sheets, which the policy allows, and kept in
 * step as xterm.js rewrites them (on resize, on focus). Returns a function that removes them.
 */
function adoptInlineStyles(host: HTMLElement): () => void {
  const sheets = new Map<HTMLStyleElement, CSSStyleSheet>();
  const sync = () => {
    for (const element of host.querySelectorAll("style")) {
      let sheet = sheets.get(element);
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheets.set(element, sheet);
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      }
      sheet.replaceSync(element.textContent ?? "");
    }
  };
  sync();
  const observer = new MutationObserver(sync);
  observer.observe(host, { subtree: true, childList: true, characterData: true });
  return () => {
    observer.disconnect();
    const ours = new Set(sheets.values());
    document.adoptedStyleSheets = document.adoptedStyleSheets.filter((sheet) => !ours.has(sheet));
  };
}

/** What a WebSocket close says, for a person. */
function closedHow(code: number, reason: string): string {
  if (code === 1000) return "session ended";
  if (code >= 4000 && code < 4100) return `ended: ${reason}`;
  // A refused upgrade reaches a page only as 1006, without the server's answer.
  return "the server refused or dropped the connection (signed in, with the exec right?)";
}

/**
 * A terminal (xterm.js) on an ExecSession with a tty: keys and pastes go as stdin, the size
 * follows the element's (fit), output is written as it comes, and the exit code ends it.
 * Ctrl-Shift-C copies the selection and Ctrl-Shift-V pastes, since Ctrl-C and Ctrl-V belong to
 * the shell. Loaded on first use, so the dashboard's first load does not carry xterm.js.
 * Returns a function that ends the session and removes the terminal.
 */
export function startConsole(options: ConsoleOptions): () => void {
  const term = new Terminal({ cursorBlink: true, fontSize: 13, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(options.host);
  const removeStyles = adoptInlineStyles(options.host);
  fit.fit();
  const recordSize = () => {
    options.host.dataset.rows = String(term.rows);
    options.host.dataset.columns = String(term.cols);
  };
  recordSize();
  let finished = false;
  const socket = options.openSocket({
    message(m) {
      if (m.item.case === "started") options.started();
      else if (m.item.case === "output") term.write(m.item.value.data);
      else if (m.item.case === "result") {
        finished = true;
        options.ended(`exited with code ${m.item.value.exitCode}`);
      }
    },
    closed(code, reason) {
      if (!finished) options.ended(closedHow(code, reason));
      finished = true;
    },
  });
  const send = (request: ConsoleRequest) => socket.send(request);
  send({
    item: {
      case: "open",
      value: {
        id: options.id,
        command: options.command,
        tty: true,
        stdin: true,
        terminalSize: { rows: term.rows, columns: term.cols },
      },
    },
  });
  const typed = term.onData((data) => send({ item: { case: "stdin", value: encoder.encode(data) } }));
  const binary = term.onBinary((data) =>
    send({ item: { case: "stdin", value: Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff) } }),
  );
  const resized = term.onResize(({ rows, cols }) => {
    recordSize();
    send({ item: { case: "resize", value: { rows, columns: cols } } });
  });
  term.attachCustomKeyEventHandler((e) => {
    if (e.type !== "keydown" || !e.ctrlKey || !e.shiftKey) return true;
    if (e.code === "KeyC") {
      void navigator.clipboard?.writeText(term.getSelection()).catch(() => undefined);
      return false;
    }
    // Ctrl-Shift-V: the browser's own paste, which xterm.js hands on as typed data.
    return e.code !== "KeyV";
  });
  const observer = new ResizeObserver(() => fit.fit());
  observer.observe(options.host);
  term.focus();
  return () => {
    observer.disconnect();
    typed.dispose();
    binary.dispose();
    resized.dispose();
    socket.close();
    term.dispose();
    removeStyles();
  };
}
