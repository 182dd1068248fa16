import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { create, createFileRegistry, fromBinary, type DescFile, type DescMethod } from "@bufbuild/protobuf";
import * as wkt from "@bufbuild/protobuf/wkt";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { ServerReflection, type ServerReflectionRequest } from "../../../gen/grpc/reflection/v1/reflection_pb.js";

/** The well-known types' files, which reflection leaves out as every client has them. */
const wellKnown = new Map(
  Object.values(wkt)
    .filter(
      (value): value is DescFile => typeof value === "object" && value !== null && (value as DescFile).kind === "file",
    )
    .map((file) => [file.proto.name, file.proto]),
);

/**
 * Every method the server serves, with its schemas, as the server's reflection describes them:
 * a new RPC, or a new service, is fuzzed with no change here.
 */
export async function discoverMethods(baseUrl: string): Promise<DescMethod[]> {
  const client = createClient(ServerReflection, createGrpcTransport({ baseUrl }));
  async function ask(request: Omit<ServerReflectionRequest, "$typeName">) {
    async function* one() {
      yield request;
    }
    for await (const response of client.serverReflectionInfo(one())) return response;
    throw new Error("reflection gave no answer");
  }
  const listed = await ask({ host: "", messageRequest: { case: "listServices", value: "" } });
  if (listed.messageResponse.case !== "listServicesResponse") throw new Error("reflection did not list the services");
  const names = listed.messageResponse.value.service.map((s) => s.name);
  const files = new Map<string, Uint8Array>();
  for (const name of names) {
    const found = await ask({ host: "", messageRequest: { case: "fileContainingSymbol", value: name } });
    if (found.messageResponse.case !== "fileDescriptorResponse") throw new Error(`reflection has no file for ${name}`);
    for (const bytes of found.messageResponse.value.fileDescriptorProto) {
      files.set(fromBinary(FileDescriptorProtoSchema, bytes).name, bytes);
    }
  }
  const protos = new Map([...files].map(([name, bytes]) => [name, fromBinary(FileDescriptorProtoSchema, bytes)]));
  // A file set is read in order, so each file goes after what it imports.
  const ordered: FileDescriptorProto[] = [];
  const visit = (name: string) => {
    const proto = protos.get(name) ?? wellKnown.get(name);
    if (!proto || ordered.includes(proto)) return;
    proto.dependency.forEach(visit);
    if (!ordered.includes(proto)) ordered.push(proto);
  };
  [...protos.keys()].forEach(visit);
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
  return names.flatMap((name) => {
    const service = registry.getService(name);
    if (!service) throw new Error(`reflection listed ${name} but gave no descriptor for it`);
    return service.methods;
  });
}
