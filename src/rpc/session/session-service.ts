import type { ServiceImpl } from "@connectrpc/connect";
import { Role, Session } from "../../../gen/dockhand/v1/session_pb.js";
import { callerKey, type CallerIdentity } from "./caller-key.js";

export interface SessionServiceDeps {
  /** The least role of each procedure (the access check's own table). */
  procedureRoles: Readonly<Record<string, CallerIdentity["role"]>>;
}

const roles: Record<CallerIdentity["role"], Role> = { viewer: Role.VIEWER, operator: Role.OPERATOR, admin: Role.ADMIN };

export function createSessionService({ procedureRoles }: SessionServiceDeps): ServiceImpl<typeof Session> {
  // Only RPC paths: the table also names plain-HTTP routes such as /metrics.
  const table = Object.fromEntries(
    Object.entries(procedureRoles).flatMap(([path, role]) =>
      path.split("/").length === 3 ? [[path, roles[role]]] : [],
    ),
  );
  return {
    whoAmI(_req, ctx) {
      const caller = ctx.values.get(callerKey) ?? { name: "anonymous", role: "admin" };
      const exec = caller.role === "admin" || (caller.role === "operator" && caller.exec === true);
      return { name: caller.name, role: roles[caller.role], procedureRoles: table, exec };
    },
  };
}
