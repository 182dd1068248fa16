import { invalidArgument } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";

/** What a command run in a container needs, as Exec and ExecSession's open carry it. */
export interface ExecFields {
  command: string[];
  environment: { [key: string]: string };
  workingDir: string;
  user: string;
}

/** Checks a command's fields; `prefix` names the message holding them in errors (`open.`). */
export function checkExecFields(fields: ExecFields, prefix = ""): void {
  const { command, environment, workingDir, user } = fields;
  if (command.length === 0) throw invalidArgument(`${prefix}command`, "is required");
  command.forEach((arg, i) => {
    if (arg.includes("\0")) throw invalidArgument(`${prefix}command[${i}]`, "must not contain NUL");
  });
  if (command[0] === "") throw invalidArgument(`${prefix}command[0]`, "must not be empty");
  for (const [key, value] of Object.entries(environment)) {
    if (key === "") throw invalidArgument(`${prefix}environment`, "keys must not be empty");
    if (key.includes("=")) throw invalidArgument(`${prefix}environment[${quote(key)}]`, "key must not contain '='");
    if (key.includes("\0") || value.includes("\0"))
      throw invalidArgument(`${prefix}environment[${quote(key)}]`, "must not contain NUL");
  }
  if (workingDir !== "" && !workingDir.startsWith("/")) {
    throw invalidArgument(`${prefix}working_dir`, `must be an absolute path (got ${quote(workingDir)})`);
  }
  if (workingDir.includes("\0")) throw invalidArgument(`${prefix}working_dir`, "must not contain NUL");
  if (!/^[^:\s\0]*(:[^:\s\0]+)?$/.test(user)) {
    throw invalidArgument(`${prefix}user`, `${quote(user)} is not a user: name, uid, name:group or uid:gid`);
  }
}
