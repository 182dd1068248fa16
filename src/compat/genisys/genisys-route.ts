import type { Logger } from "pino";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import type { Orchestrator } from "../../orchestrator/orchestrator.js";
import type { HttpRoute } from "../../transport/http-route.js";
import { createRouteCalls, type RouteCallsOptions } from "../route-calls.js";
import { answerError, refuseGenisys, texts } from "./genisys-answers.js";
import { createGenisysHandlers, type GenisysHandler } from "./genisys-handlers.js";
import { genisysEmptyForms, type GenisysEmptyFormsStore } from "./genisys-empty-forms.js";

export interface GenisysRouteOptions extends RouteCallsOptions {
  registry: ServiceRegistry;
  /** Scales and reports services, and rolls out a changed definition of a running service. */
  orchestrator: Pick<Orchestrator, "scale" | "status">;
  /** Host address each port string is published on (on a free host port). Default `127.0.0.1`. */
  publishHostIp?: string;
  /** Largest request body, in bytes; more is 413. Default 102400, the seed's. */
  maxBodyBytes?: number;
  /** Keys clients stored as `""`, `{}` or `[]`, given back as stored. Default: kept in memory. */
  emptyForms?: GenisysEmptyFormsStore;
  logger?: Logger;
}

type Target = { route: "list" | "one" | "scale" | "status"; name: string };

function targetOf(path: string): Target | undefined {
  if (path === "/service") return { route: "list", name: "" };
  const match = /^\/service\/([^/]+)(?:\/(scale|status))?$/.exec(path);
  if (!match) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(match[1]);
  } catch {
    name = match[1];
  }
  return { route: (match[2] as "scale" | "status" | undefined) ?? "one", name };
}

/**
 * The genisys connector's REST API (`/service`, `/service/<name>`, `.../scale`, `.../status`)
 * over dockhand's registry and orchestrator, with the seed's paths, JSON keys and status codes.
 */
export function createGenisysRoute(options: GenisysRouteOptions): HttpRoute {
  const run = createRouteCalls(options);
  const handlers = createGenisysHandlers({
    registry: options.registry,
    orchestrator: options.orchestrator,
    publishHostIp: options.publishHostIp ?? "127.0.0.1",
    maxBodyBytes: options.maxBodyBytes ?? 102_400,
    emptyForms: options.emptyForms ?? genisysEmptyForms(),
  });
  const methods: Record<Target["route"], Record<string, [string, GenisysHandler]>> = {
    list: {
      GET: ["genisys/ListServices", handlers.list],
      HEAD: ["genisys/ListServices", handlers.list],
      POST: ["genisys/CreateService", handlers.create],
    },
    one: {
      GET: ["genisys/GetService", handlers.get],
      HEAD: ["genisys/GetService", handlers.get],
      PUT: ["genisys/PutService", handlers.put],
    },
    scale: { POST: ["genisys/Scale", handlers.scale] },
    status: { GET: ["genisys/Status", handlers.status], HEAD: ["genisys/Status", handlers.status] },
  };

  return (req, res) => {
    const target = targetOf((req.url ?? "/").split("?", 1)[0]);
    if (!target) return false;
    const allowed = methods[target.route];
    const entry = allowed[req.method ?? ""];
    if (!entry) {
      answerError(res, 405, texts.methodNotAllowed, { allow: Object.keys(allowed).join(", ") });
      return true;
    }
    const [procedure, handler] = entry;
    run(req, res, procedure, refuseGenisys, (call) => handler(req, res, target.name, call));
    return true;
  };
}
