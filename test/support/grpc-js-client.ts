import * as grpc from "@grpc/grpc-js";
import {
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
  create,
} from "@bufbuild/protobuf";

/** One unary call with @grpc/grpc-js, (de)serialising with the generated protobuf-es schemas. */
export function grpcJsUnary<I extends DescMessage, O extends DescMessage>(
  target: string,
  path: string,
  input: I,
  output: O,
  request: MessageInitShape<I>,
): Promise<MessageShape<O>> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise<MessageShape<O>>((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (message: MessageShape<I>) => Buffer.from(toBinary(input, message)),
      (bytes: Buffer) => fromBinary(output, bytes),
      create(input, request),
      (err, value) => (err ? reject(err) : resolve(value as MessageShape<O>)),
    );
  }).finally(() => client.close());
}
