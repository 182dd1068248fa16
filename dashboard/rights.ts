import { Code, ConnectError } from "@connectrpc/connect";
import { Role } from "../gen/dockhand/v1/session_pb.js";
import { session } from "./api.js";
import { deniedProcedures, report } from "./errors.js";
import { createStore, useStore } from "./store.js";

/** Who the user is to dockhand and what each procedure needs (Session.WhoAmI). */
export interface Rights {
  name: string;
  role: Role;
  procedureRoles: Readonly<Record<string, Role>>;
}

/** Unknown until WhoAmI answers (or when the server is older than it): nothing is disabled then. */
export const rights = createStore<Rights | undefined>(undefined);

export function roleName(role: Role): string {
  return Role[role].toLowerCase();
}

export async function loadRights(): Promise<void> {
  try {
    const answer = await session.whoAmI({});
    rights.set({ name: answer.name, role: answer.role, procedureRoles: answer.procedureRoles });
  } catch (err) {
    if (ConnectError.from(err).code !== Code.Unimplemented) report(err, "/dockhand.v1.Session/WhoAmI");
  }
}

/**
 * Why `procedure` is not for this user, or undefined: the user's role falls short of the one
 * the procedure needs, or the server refused it before (its message names the role needed).
 */
export function useDenied(procedure: string): string | undefined {
  const refused = useStore(deniedProcedures).get(procedure);
  const mine = useStore(rights);
  if (refused) return refused;
  if (!mine) return undefined;
  const need = mine.procedureRoles[procedure] ?? Role.ADMIN;
  return mine.role < need
    ? `${procedure} needs the ${roleName(need)} role; ${mine.name} has ${roleName(mine.role)}`
    : undefined;
}
