import { Code } from "@connectrpc/connect";
import type { ServiceImpl } from "@connectrpc/connect";
import type { DescriptorIndex } from "./descriptor-index.js";
import type { ServerReflection as ReflectionV1 } from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import type { ServerReflection as ReflectionV1Alpha } from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** The request as v1 and v1alpha both define it; they differ only in their package. */
interface ReflectionRequest {
  host: string;
  messageRequest:
    | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: undefined; value?: undefined };
}

type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

function notFound(what: string): Answer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}

function answer(index: DescriptorIndex, request: ReflectionRequest, sent: Set<string>): Answer {
  const files = (file: ReturnType<DescriptorIndex["fileByName"]>, what: string): Answer =>
    file
      ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.serialize(file, sent) } }
      : notFound(what);
  const ask = request.messageRequest;
  switch (ask.case) {
    case "fileByFilename":
      return files(index.fileByName(ask.value), `file "${ask.value}"`);
    case "fileContainingSymbol":
      return files(index.fileBySymbol(ask.value), `symbol "${ask.value}"`);
    case "fileContainingExtension": {
      const ext = index.extension(ask.value.containingType, ask.value.extensionNumber);
      return files(ext?.file, `extension ${ask.value.extensionNumber} of "${ask.value.containingType}"`);
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(ask.value);
      if (!numbers) return notFound(`message type "${ask.value}"`);
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: ask.value, extensionNumber: numbers } };
    }
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } };
    default:
      return {
        case: "errorResponse",
        value: { errorCode: Code.InvalidArgument, errorMessage: "message_request: no question set" },
      };
  }
}

/**
 * grpc.reflection (v1 or v1alpha) over the descriptors compiled into gen/. Each request on
 * the stream gets one answer, in order; a file already sent on the stream is not sent again.
 */
export function createReflectionService<S extends typeof ReflectionV1 | typeof ReflectionV1Alpha>(
  index: DescriptorIndex,
): ServiceImpl<S> {
  const impl = {
    async *serverReflectionInfo(requests: AsyncIterable<ReflectionRequest>) {
      const sent = new Set<string>();
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, messageResponse: answer(index, request, sent) };
      }
    },
  };
  // Both versions share every field name; only the package of their message types differs.
  return impl as unknown as ServiceImpl<S>;
}
