import { execProcedures, openProcedures, procedureRoles } from "./procedure-roles.js";
import { roles } from "./roles.js";

/** README's table of who may call what, derived from the one table of least roles. */
export function rolesTable(): string {
  const rows = roles.map((role) => {
    const procedures = Object.entries(procedureRoles)
      .filter(([procedure, need]) => need === role && procedure !== "/metrics")
      .map(([procedure]) => `\`${procedure.replace(/^\/(dockhand\.v1\.|grpc\.reflection\.)?/, "")}\``);
    const extra = role === "viewer" ? ", `/metrics` with `--metrics-auth`" : "";
    return `| ${role} | ${procedures.join(", ")}${extra} |`;
  });
  const exec = [...execProcedures].map((p) => `\`${p.replace(/^\/dockhand\.v1\./, "")}\``).join(", ");
  rows.push(`| operator with \`exec: true\` on its tokens file entry (the exec right) | ${exec} |`);
  const open = [...openProcedures].map((p) => `\`${p.replace(/^\//, "")}\``).join(", ");
  return [
    "| least role | procedures: RPCs, and the seeds' routes as `genisys/...` and `mistify/MDocker...` (a role may also call everything above it in this table) |",
    "| --- | --- |",
    `| none | ${open}, \`/healthz\`, \`/readyz\`, the dashboard's files; \`/metrics\` unless \`--metrics-auth\` |`,
    ...rows,
  ].join("\n");
}
