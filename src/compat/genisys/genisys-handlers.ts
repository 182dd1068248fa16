import { Code } from "@connectrpc/connect";
import { isDockhandError } from "../../model/dockhand-error.js";
import { serviceNamePattern } from "../../model/definition-rules.js";
import type { ServiceDefinition, StoredService } from "../../model/service-definition.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import type { Orchestrator } from "../../orchestrator/orchestrator.js";
import { toConnectError } from "../../transport/error-codes.js";
import type { HttpRequest, HttpResponse } from "../../transport/http-route.js";
import { mediaTypeOf, readRequestBody } from "../request-body.js";
import type { RouteCall } from "../route-calls.js";
import { answerEmpty, answerError, answerJson, statusOfCode, texts } from "./genisys-answers.js";
import { definitionFromGenisys, definitionToGenisys } from "./genisys-definition.js";
import type { GenisysEmptyFormsStore } from "./genisys-empty-forms.js";

/** Answers one call and resolves with the code it answered with (undefined: OK). */
export type GenisysHandler = (
  req: HttpRequest,
  res: HttpResponse,
  name: string,
  call: RouteCall,
) => Promise<Code | undefined>;

export interface GenisysHandlerDeps {
  registry: ServiceRegistry;
  orchestrator: Pick<Orchestrator, "scale" | "status">;
  publishHostIp: string;
  maxBodyBytes: number;
  /** What clients stored as `""`, `{}` or `[]` rather than null, given back as stored. */
  emptyForms: GenisysEmptyFormsStore;
}

/** Answers `code` with `message`; 400s and 501s as the seed did, others by kind. */
function fail(res: HttpResponse, code: Code, message: string): Code {
  answerError(res, statusOfCode(code), message);
  return code;
}

function failWith(res: HttpResponse, err: unknown): Code {
  const error = toConnectError(err);
  return fail(res, error.code, error.rawMessage);
}

/** A number of replicas as the seed's client sends it: an integer, or a string of digits. */
export function parseNumber(value: unknown): number | string {
  let n: number | undefined;
  if (typeof value === "number" && Number.isInteger(value)) n = value;
  else if (typeof value === "string" && /^\s*[+-]?\d{1,9}\s*$/.test(value)) n = Number(value);
  if (n === undefined) {
    const shown = JSON.stringify(value)?.slice(0, 40) ?? String(value);
    return `${texts.invalidNumber} number: must be a whole number or a string of digits (got ${shown})`;
  }
  if (n < 0) return `${texts.invalidNumber} number: must not be negative (got ${n})`;
  return n;
}

export function createGenisysHandlers(
  deps: GenisysHandlerDeps,
): Record<"list" | "get" | "put" | "create" | "scale" | "status", GenisysHandler> {
  const { registry } = deps;
  const defined = (name: string) => (serviceNamePattern.test(name) ? registry.find(name) : undefined);
  const genisysOf = (stored: StoredService) =>
    definitionToGenisys(stored.definition, deps.emptyForms.get(stored.definition.name, stored.createdAt));

  /** The JSON object of a POST or PUT; answers the seed's 400 or 413 itself and returns its code. */
  async function bodyOf(req: HttpRequest, res: HttpResponse): Promise<Record<string, unknown> | Code> {
    const read = await readRequestBody(req, deps.maxBodyBytes);
    if (read.kind === "too-large") {
      if ("shouldKeepAlive" in res) res.shouldKeepAlive = false;
      answerError(res, 413, texts.tooLarge);
      return Code.ResourceExhausted;
    }
    if (read.kind === "aborted") return Code.Canceled;
    // As the seed: anything that is not application/json is no data at all.
    if (mediaTypeOf(req) !== "application/json") return fail(res, Code.InvalidArgument, texts.noData);
    let body: unknown;
    try {
      body = read.bytes.length === 0 ? null : JSON.parse(read.bytes.toString("utf8"));
    } catch (err) {
      return fail(res, Code.InvalidArgument, `the body is not JSON: ${(err as Error).message.slice(0, 100)}`);
    }
    // Python's falsy values ({}, [], null, 0, "") were "no data" to the seed.
    const empty = !body || (typeof body === "object" && Object.keys(body).length === 0);
    if (empty) return fail(res, Code.InvalidArgument, texts.noData);
    if (typeof body !== "object" || Array.isArray(body))
      return fail(res, Code.InvalidArgument, "the body must be a JSON object");
    return body as Record<string, unknown>;
  }

  /** Creates or overwrites `name`; nothing is written unless the whole definition is valid. */
  async function upsert(res: HttpResponse, name: string, body: Record<string, unknown>): Promise<Code | undefined> {
    let def: ServiceDefinition;
    try {
      def = definitionFromGenisys(name, body, {
        current: registry.find(name)?.definition,
        publishHostIp: deps.publishHostIp,
      });
      const { service } = await registry.update(def, { expectedVersion: 0, allowMissing: true });
      await deps.emptyForms.record(name, service.createdAt, body, (other, createdAt) => {
        return registry.find(other)?.createdAt === createdAt;
      });
    } catch (err) {
      return failWith(res, err);
    }
    answerEmpty(res);
    return undefined;
  }

  return {
    async list(_req, res) {
      answerJson(res, 200, Object.fromEntries(registry.list().map((s) => [s.definition.name, genisysOf(s)])));
      return undefined;
    },
    async get(_req, res, name) {
      const stored = defined(name);
      if (!stored) return fail(res, Code.NotFound, texts.undefinedService(name));
      answerJson(res, 200, genisysOf(stored));
      return undefined;
    },
    async create(req, res) {
      const body = await bodyOf(req, res);
      if (typeof body === "number") return body;
      if (typeof body.name !== "string" || body.image === undefined || body.image === null)
        return fail(res, Code.InvalidArgument, texts.missingParameters);
      return upsert(res, body.name, body);
    },
    async put(req, res, name) {
      const body = await bodyOf(req, res);
      if (typeof body === "number") return body;
      if (body.image === undefined || body.image === null)
        return fail(res, Code.InvalidArgument, texts.missingParameter);
      return upsert(res, name, body);
    },
    async scale(req, res, name, call) {
      const body = await bodyOf(req, res);
      if (typeof body === "number") return body;
      // As the seed: the body is checked before the service is looked up.
      if (!("number" in body)) return fail(res, Code.InvalidArgument, texts.missingParameter);
      const number = parseNumber(body.number);
      if (typeof number === "string") return fail(res, Code.InvalidArgument, number);
      if (!defined(name)) return fail(res, Code.NotFound, texts.undefinedService(name));
      try {
        await deps.orchestrator.scale(name, number, { wait: true, signal: call.signal });
      } catch (err) {
        if (isDockhandError(err, "InvalidArgument"))
          return fail(res, Code.InvalidArgument, `${texts.invalidNumber} ${err.message}`);
        return failWith(res, err);
      }
      answerEmpty(res);
      return undefined;
    },
    async status(_req, res, name) {
      if (!defined(name)) return fail(res, Code.NotFound, texts.undefinedService(name));
      try {
        answerJson(res, 200, { running_resources: (await deps.orchestrator.status(name)).running });
      } catch (err) {
        if (isDockhandError(err, "NotFound")) return fail(res, Code.NotFound, texts.undefinedService(name));
        return failWith(res, err);
      }
      return undefined;
    },
  };
}
