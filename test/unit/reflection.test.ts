import { describe, expect, it } from "vitest";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  type ServerReflectionRequest,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { createDescriptorIndex } from "../../src/rpc/reflection/descriptor-index.js";
import { createReflectionService } from "../../src/rpc/reflection/reflection-service.js";

const index = createDescriptorIndex([ServiceRegistry, Scaler, ServerReflection]);

async function ask(requests: ServerReflectionRequest["messageRequest"][]) {
  const transport = createRouterTransport(({ service }) =>
    service(ServerReflection, createReflectionService<typeof ServerReflection>(index)),
  );
  const client = createClient(ServerReflection, transport);
  async function* stream() {
    for (const messageRequest of requests) yield create(ServerReflectionRequestSchema, { host: "h", messageRequest });
  }
  const answers = [];
  for await (const res of client.serverReflectionInfo(stream())) answers.push(res);
  return answers;
}

const fileNames = (answer: Awaited<ReturnType<typeof ask>>[number]) =>
  answer.messageResponse.case === "fileDescriptorResponse"
    ? answer.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name)
    : [];

describe("server reflection over gen/ descriptors", () => {
  it("lists services and answers each request in order on one stream", async () => {
    const [list, bySymbol, again, byName] = await ask([
      { case: "listServices", value: "*" },
      { case: "fileContainingSymbol", value: "dockhand.v1.Scaler.WatchStatus" },
      { case: "fileContainingSymbol", value: "dockhand.v1.ServiceStatus" },
      { case: "fileByFilename", value: "dockhand/v1/registry.proto" },
    ]);
    expect(list?.messageResponse.value).toMatchObject({
      service: [
        { name: "dockhand.v1.ServiceRegistry" },
        { name: "dockhand.v1.Scaler" },
        { name: "grpc.reflection.v1.ServerReflection" },
      ],
    });
    expect(list?.validHost).toBe("h");
    // The file and its transitive imports, each sent once per stream.
    expect(fileNames(bySymbol!)).toEqual(
      expect.arrayContaining(["dockhand/v1/scaler.proto", "google/protobuf/timestamp.proto"]),
    );
    expect(fileNames(again!)).toEqual([]);
    expect(fileNames(byName!)).toEqual(expect.arrayContaining(["dockhand/v1/registry.proto"]));
    expect(fileNames(byName!)).not.toContain("dockhand/v1/scaler.proto");
  });

  it("answers unknown names with a NOT_FOUND error response and keeps the stream going", async () => {
    const [unknown, ok] = await ask([
      { case: "fileContainingSymbol", value: "no.such.Thing" },
      { case: "allExtensionNumbersOfType", value: "dockhand.v1.ScaleRequest" },
    ]);
    expect(unknown?.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
    expect(ok?.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "dockhand.v1.ScaleRequest", extensionNumber: [] },
    });
  });
});
