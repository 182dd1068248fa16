import type { Role } from "./roles.js";

/**
 * The least role each procedure needs: the one table the access check, the README and the
 * tests read. Keys are RPC paths (`/package.Service/Method`) and, for the seeds' HTTP routes,
 * the procedure names those routes log under. A procedure missing here needs admin.
 */
export const procedureRoles: Readonly<Record<string, Role>> = Object.freeze({
  "/dockhand.v1.ServiceRegistry/ListServices": "viewer",
  "/dockhand.v1.ServiceRegistry/GetService": "viewer",
  "/dockhand.v1.ServiceRegistry/CreateService": "operator",
  "/dockhand.v1.ServiceRegistry/UpdateService": "operator",
  "/dockhand.v1.ServiceRegistry/DeleteService": "admin",
  "/dockhand.v1.ServiceRegistry/ListSecrets": "viewer",
  "/dockhand.v1.ServiceRegistry/GetSecret": "viewer",
  "/dockhand.v1.ServiceRegistry/CreateSecret": "admin",
  "/dockhand.v1.ServiceRegistry/UpdateSecret": "admin",
  "/dockhand.v1.ServiceRegistry/DeleteSecret": "admin",
  "/dockhand.v1.ServiceRegistry/ListConfigs": "viewer",
  "/dockhand.v1.ServiceRegistry/GetConfig": "viewer",
  "/dockhand.v1.ServiceRegistry/CreateConfig": "operator",
  "/dockhand.v1.ServiceRegistry/UpdateConfig": "operator",
  "/dockhand.v1.ServiceRegistry/DeleteConfig": "admin",

  "/dockhand.v1.Scaler/Scale": "operator",
  "/dockhand.v1.Scaler/GetStatus": "viewer",
  "/dockhand.v1.Scaler/WatchStatus": "viewer",
  "/dockhand.v1.Scaler/StreamServiceLogs": "viewer",
  "/dockhand.v1.Scaler/WatchServices": "viewer",
  "/dockhand.v1.Scaler/ListOrphans": "viewer",
  "/dockhand.v1.Scaler/Rollback": "operator",
  "/dockhand.v1.Scaler/Promote": "operator",
  "/dockhand.v1.Scaler/ListUnusedVolumes": "viewer",

  "/dockhand.v1.ContainerAgent/ListVolumes": "viewer",
  "/dockhand.v1.ContainerAgent/GetVolume": "viewer",
  "/dockhand.v1.ContainerAgent/CreateVolume": "admin",
  "/dockhand.v1.ContainerAgent/DeleteVolume": "admin",
  "/dockhand.v1.ContainerAgent/ListNetworks": "viewer",
  "/dockhand.v1.ContainerAgent/GetNetwork": "viewer",
  "/dockhand.v1.ContainerAgent/CreateNetwork": "admin",
  "/dockhand.v1.ContainerAgent/DeleteNetwork": "admin",
  "/dockhand.v1.ContainerAgent/ConnectNetwork": "admin",
  "/dockhand.v1.ContainerAgent/DisconnectNetwork": "admin",
  "/dockhand.v1.ContainerAgent/ListContainers": "viewer",
  "/dockhand.v1.ContainerAgent/GetContainer": "viewer",
  "/dockhand.v1.ContainerAgent/CreateContainer": "admin",
  "/dockhand.v1.ContainerAgent/StartContainer": "operator",
  "/dockhand.v1.ContainerAgent/StopContainer": "operator",
  "/dockhand.v1.ContainerAgent/RestartContainer": "operator",
  "/dockhand.v1.ContainerAgent/RebootContainer": "operator",
  "/dockhand.v1.ContainerAgent/KillContainer": "operator",
  "/dockhand.v1.ContainerAgent/PauseContainer": "operator",
  "/dockhand.v1.ContainerAgent/UnpauseContainer": "operator",
  "/dockhand.v1.ContainerAgent/DeleteContainer": "admin",
  "/dockhand.v1.ContainerAgent/WaitContainer": "operator",
  "/dockhand.v1.ContainerAgent/SaveContainer": "admin",
  "/dockhand.v1.ContainerAgent/ListImages": "viewer",
  "/dockhand.v1.ContainerAgent/GetImage": "viewer",
  "/dockhand.v1.ContainerAgent/DeleteImage": "admin",
  "/dockhand.v1.ContainerAgent/TagImage": "admin",
  "/dockhand.v1.ContainerAgent/PullImage": "operator",
  "/dockhand.v1.ContainerAgent/PushImage": "admin",
  "/dockhand.v1.ContainerAgent/LoadImage": "admin",
  "/dockhand.v1.ContainerAgent/GetInfo": "viewer",
  "/dockhand.v1.ContainerAgent/StreamLogs": "viewer",
  "/dockhand.v1.ContainerAgent/WatchEvents": "viewer",
  "/dockhand.v1.ContainerAgent/GetStats": "viewer",
  "/dockhand.v1.ContainerAgent/StreamStats": "viewer",
  "/dockhand.v1.ContainerAgent/Exec": "admin",
  // Also an operator's whose tokens file entry says `exec: true`: see execProcedures.
  "/dockhand.v1.ContainerAgent/ExecSession": "admin",
  "/dockhand.v1.ContainerAgent/Attach": "admin",
  "/dockhand.v1.ContainerAgent/CopyToContainer": "admin",
  "/dockhand.v1.ContainerAgent/CopyToContainerStream": "admin",
  "/dockhand.v1.ContainerAgent/CopyFromContainer": "operator",
  "/dockhand.v1.ContainerAgent/CopyFromContainerUnary": "operator",

  "/dockhand.v1.Session/WhoAmI": "viewer",

  "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": "viewer",
  "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": "viewer",

  "/metrics": "viewer",

  // The seeds' HTTP APIs (src/compat), at the role of the typed RPC doing the same.
  "genisys/ListServices": "viewer",
  "genisys/GetService": "viewer",
  "genisys/CreateService": "operator",
  "genisys/PutService": "operator",
  "genisys/Scale": "operator",
  "genisys/Status": "viewer",
  "mistify/MDocker.ListContainers": "viewer",
  "mistify/MDocker.GetContainer": "viewer",
  "mistify/MDocker.CreateContainer": "admin",
  "mistify/MDocker.StartContainer": "operator",
  "mistify/MDocker.StopContainer": "operator",
  "mistify/MDocker.RestartContainer": "operator",
  "mistify/MDocker.RebootContainer": "operator",
  "mistify/MDocker.PauseContainer": "operator",
  "mistify/MDocker.UnpauseContainer": "operator",
  "mistify/MDocker.DeleteContainer": "admin",
  "mistify/MDocker.SaveContainer": "admin",
  "mistify/MDocker.ListImages": "viewer",
  "mistify/MDocker.GetImage": "viewer",
  "mistify/MDocker.DeleteImage": "admin",
  "mistify/MDocker.LoadImage": "admin",
  "mistify/MDocker.GetInfo": "viewer",
});

/**
 * The exec right: procedures that run or feed processes in containers, or write into them.
 * Their least role is admin; an operator gets them too when the tokens file grants it
 * (`exec: true` on the entry), as Nomad keeps `alloc-exec` apart from its other rights. The old
 * Exec keeps its admin role as it is.
 */
export const execProcedures: ReadonlySet<string> = new Set([
  "/dockhand.v1.ContainerAgent/ExecSession",
  "/dockhand.v1.ContainerAgent/Attach",
  "/dockhand.v1.ContainerAgent/CopyToContainer",
  "/dockhand.v1.ContainerAgent/CopyToContainerStream",
]);

/** Procedures anyone may call, with or without credentials: probes for load balancers. */
export const openProcedures: ReadonlySet<string> = new Set([
  "/grpc.health.v1.Health/Check",
  "/grpc.health.v1.Health/Watch",
]);

/** The least role `procedure` needs; undefined for an open one. Unknown procedures need admin. */
export function roleFor(procedure: string): Role | undefined {
  if (openProcedures.has(procedure)) return undefined;
  return procedureRoles[procedure] ?? "admin";
}
