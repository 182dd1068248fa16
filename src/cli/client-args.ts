/** A client command line that cannot be run: the message says what is wrong and how it is written. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Where the server is and how to prove who we are. */
export interface ConnectionArgs {
  /** `--url`, else DOCKHAND_URL, else http://127.0.0.1:7051. */
  url: string;
  /** `--token-file`, else DOCKHAND_TOKEN_FILE: a file holding the bearer token. */
  tokenFile?: string;
  /** `--cacert`, else DOCKHAND_CA_FILE: the CA that signed an https:// server's certificate. */
  caFile?: string;
  /** `--cert`, else DOCKHAND_CERT_FILE: a client certificate, for a server that asks for one (mTLS). */
  certFile?: string;
  /** `--key`, else DOCKHAND_KEY_FILE: the client certificate's key. */
  keyFile?: string;
}

export interface ExecArgs extends ConnectionArgs {
  command: "exec";
  container: string;
  argv: string[];
  interactive: boolean;
  tty: boolean;
  environment: Record<string, string>;
  workingDir: string;
  user: string;
}

export interface AttachArgs extends ConnectionArgs {
  command: "attach";
  container: string;
  /** false with `--no-stdin`; otherwise stdin is attached when the container has it open. */
  stdin: boolean;
}

export interface CopyArgs extends ConnectionArgs {
  command: "cp";
  source: string;
  destination: string;
}

export type ClientArgs = ExecArgs | AttachArgs | CopyArgs;

export const clientCommands = ["exec", "attach", "cp"] as const;

export const clientUsage = `Usage:
  dockhand exec [-i] [-t] [-e KEY=VALUE]... [-w DIR] [-u USER] CONTAINER [--] COMMAND [ARG...]
  dockhand attach [--no-stdin] CONTAINER
  dockhand cp [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH     (- for a tar on stdin or stdout)
Connection (each command): --url URL (DOCKHAND_URL, default http://127.0.0.1:7051),
  --token-file FILE (DOCKHAND_TOKEN_FILE), --cacert FILE (DOCKHAND_CA_FILE),
  --cert FILE --key FILE for a client certificate (DOCKHAND_CERT_FILE, DOCKHAND_KEY_FILE).
exec's exit code is the command's; 125 when dockhand or the server failed.
`;

const connectionFlags: Record<string, keyof ConnectionArgs> = {
  "--url": "url",
  "--token-file": "tokenFile",
  "--cacert": "caFile",
  "--cert": "certFile",
  "--key": "keyFile",
};

/** Parses `dockhand <command> ...` (argv after the program name), connection settings from flags or `env`. */
export function parseClientArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ClientArgs {
  const [command, ...rest] = argv;
  const connection: ConnectionArgs = {
    url: env.DOCKHAND_URL || "http://127.0.0.1:7051",
    tokenFile: env.DOCKHAND_TOKEN_FILE || undefined,
    caFile: env.DOCKHAND_CA_FILE || undefined,
    certFile: env.DOCKHAND_CERT_FILE || undefined,
    keyFile: env.DOCKHAND_KEY_FILE || undefined,
  };
  const flags: string[] = [];
  const operands: string[] = [];
  const values = new Map<string, string[]>();
  const valueFlags = new Set(["-e", "--env", "-w", "--workdir", "-u", "--user", ...Object.keys(connectionFlags)]);
  let i = 0;
  for (; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    // Options come before the container (and, for exec, its command), as in docker.
    if (operands.length > 0 && command !== "cp") break;
    if (!arg.startsWith("-") || arg === "-") {
      operands.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (valueFlags.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      values.set(name, [...(values.get(name) ?? []), value]);
    } else if (/^-[a-zA-Z]{2,}$/.test(arg)) {
      for (const letter of arg.slice(1)) flags.push(`-${letter}`);
    } else flags.push(arg);
  }
  const trailing = rest.slice(i);
  for (const [flag, key] of Object.entries(connectionFlags)) {
    const given = values.get(flag)?.at(-1);
    if (given !== undefined) connection[key] = given;
  }
  if ((connection.certFile === undefined) !== (connection.keyFile === undefined))
    throw new UsageError("--cert and --key (DOCKHAND_CERT_FILE, DOCKHAND_KEY_FILE) go together: give both, or neither");
  if (!/^https?:\/\/[^/]+\/?$/.test(connection.url))
    throw new UsageError(
      `--url (or DOCKHAND_URL) must be http://HOST:PORT or https://HOST:PORT, got "${connection.url}"`,
    );
  const allow = (known: string[]) => {
    const unknown = flags.find((f) => !known.includes(f));
    if (unknown) throw new UsageError(`${command}: unknown option ${unknown}`);
  };

  switch (command) {
    case "exec": {
      allow(["-i", "--interactive", "-t", "--tty"]);
      const [container, ...argvBefore] = operands;
      const commandLine = [...argvBefore, ...trailing];
      if (!container) throw new UsageError("exec: name the container");
      if (commandLine.length === 0) throw new UsageError("exec: give the command to run after the container");
      const environment: Record<string, string> = {};
      for (const pair of [...(values.get("-e") ?? []), ...(values.get("--env") ?? [])]) {
        const eq = pair.indexOf("=");
        if (eq <= 0) throw new UsageError(`exec: -e takes KEY=VALUE, got "${pair}"`);
        environment[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      return {
        ...connection,
        command,
        container,
        argv: commandLine,
        interactive: flags.includes("-i") || flags.includes("--interactive"),
        tty: flags.includes("-t") || flags.includes("--tty"),
        environment,
        workingDir: values.get("-w")?.at(-1) ?? values.get("--workdir")?.at(-1) ?? "",
        user: values.get("-u")?.at(-1) ?? values.get("--user")?.at(-1) ?? "",
      };
    }
    case "attach": {
      allow(["--no-stdin"]);
      const all = [...operands, ...trailing];
      if (all.length !== 1) throw new UsageError("attach: name exactly one container");
      return { ...connection, command, container: all[0]!, stdin: !flags.includes("--no-stdin") };
    }
    case "cp": {
      allow([]);
      const all = [...operands, ...trailing];
      if (all.length !== 2) throw new UsageError("cp: give a source and a destination");
      return { ...connection, command, source: all[0]!, destination: all[1]! };
    }
    default:
      throw new UsageError(`unknown command "${command ?? ""}"`);
  }
}
