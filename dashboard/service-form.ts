import { create } from "@bufbuild/protobuf";
import { ServiceSchema, type Service } from "../gen/dockhand/v1/service_pb.js";
import { Protocol } from "../gen/dockhand/v1/service_pb.js";

/** What the create form holds, as typed. */
export interface ServiceForm {
  name: string;
  image: string;
  command: string;
  environment: string;
  ports: string;
  labels: string;
  networks: string;
  init: boolean;
  replicas: string;
}

export type FormField = keyof ServiceForm;

export const emptyForm: ServiceForm = {
  name: "",
  image: "",
  command: "",
  environment: "",
  ports: "",
  labels: "",
  networks: "",
  init: true,
  replicas: "1",
};

/** A value the form cannot turn into a definition, at its field (the server never sees it). */
export class FormProblem<F extends string = FormField> extends Error {
  constructor(
    readonly field: F,
    message: string,
  ) {
    super(message);
  }
}

/** Words as a shell splits them, with "double" or 'single' quotes keeping spaces. */
export function words(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** `KEY=VALUE` lines (blank lines skipped) as a map; a line without `=` is a FormProblem at `field`. */
export function pairs<F extends string = FormField>(text: string, field: F): Record<string, string> {
  const map: Record<string, string> = {};
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const at = line.indexOf("=");
    if (at < 0) throw new FormProblem(field, `line ${i + 1}: "${line.slice(0, 40)}" is not KEY=VALUE`);
    map[line.slice(0, at).trim()] = line.slice(at + 1);
  });
  return map;
}

const protocols: Record<string, Protocol> = { tcp: Protocol.TCP, udp: Protocol.UDP, sctp: Protocol.SCTP };

/** `[host_ip:]host_port:container_port[/protocol]` or `container_port[/protocol]`, one a line or comma-separated. */
function ports(text: string) {
  return text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(?:(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):)?(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(entry);
      if (!m)
        throw new FormProblem("ports", `"${entry.slice(0, 40)}" is not [host_ip:]host_port:container_port[/tcp|udp]`);
      return {
        hostIp: m[1] ?? "",
        hostPort: Number(m[2] ?? 0),
        containerPort: Number(m[3]),
        protocol: protocols[(m[4] ?? "tcp").toLowerCase()] ?? Protocol.TCP,
      };
    });
}

/** The definition the form describes; the server checks it (and names the field it refuses). */
export function serviceFromForm(form: ServiceForm): Service {
  return create(ServiceSchema, {
    name: form.name.trim(),
    image: form.image.trim(),
    command: words(form.command),
    environment: pairs(form.environment, "environment"),
    ports: ports(form.ports),
    labels: pairs(form.labels, "labels"),
    networks: form.networks
      .split(/[\s,]+/)
      .map((n) => n.trim())
      .filter(Boolean),
    init: form.init,
  });
}

/** Replicas to scale to once created: a whole number, 0 or more. */
export function replicasFromForm(form: ServiceForm): number {
  const n = Number(form.replicas.trim() || "0");
  if (!Number.isInteger(n) || n < 0) throw new FormProblem("replicas", `"${form.replicas}" is not a whole number`);
  return n;
}

/** The form field a server field path is about (`service.ports[0].host_ip` -> ports), if the form has it. */
export function formFieldOf(top: string): FormField | undefined {
  return top in emptyForm && top !== "replicas" ? (top as FormField) : undefined;
}
