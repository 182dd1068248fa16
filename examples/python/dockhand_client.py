#!/usr/bin/env python3
"""Calls dockhand over gRPC from Python with grpcio and no generated code.

The schema comes from a descriptor set made by `npx buf build -o dockhand.binpb`.

    python3 dockhand_client.py [--descriptors dockhand.binpb] [--target 127.0.0.1:7051] \
        dockhand.v1.Scaler/Scale '{"name": "web", "replicas": 2}'

Over TLS, add --cacert ca.pem (the CA that signed dockhand's certificate; --cert and --key for
mTLS), and --token (or DOCKHAND_TOKEN) to send `authorization: Bearer <token>`.

Prints each response message as JSON, one per line (server streams print several). On a gRPC
error it prints `CODE: message` to stderr and exits with status 1.
"""
import argparse
import json
import os
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory


def message_class(descriptor):
    # protobuf >= 4.21 has GetMessageClass; older releases only the factory's GetPrototype.
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(descriptor.file.pool).GetPrototype(descriptor)


class Dockhand:
    def __init__(self, target, descriptors, credentials=None, token=None):
        files = descriptor_pb2.FileDescriptorSet()
        with open(descriptors, "rb") as handle:
            files.ParseFromString(handle.read())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)
        self.channel = grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
        self.metadata = [("authorization", f"Bearer {token}")] if token else None

    def call(self, method, request, timeout=120):
        """Calls `package.Service/Method` with a dict; yields each response as a dict."""
        service_name, method_name = method.split("/")
        method_desc = self.pool.FindServiceByName(service_name).FindMethodByName(method_name)
        request_class = message_class(method_desc.input_type)
        response_class = message_class(method_desc.output_type)
        path = f"/{service_name}/{method_name}"
        make = self.channel.unary_stream if method_desc.server_streaming else self.channel.unary_unary
        stub = make(path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_class.FromString)
        message = json_format.ParseDict(request, request_class())
        answer = stub(message, timeout=timeout, metadata=self.metadata)
        responses = answer if method_desc.server_streaming else [answer]
        for response in responses:
            yield json_format.MessageToDict(response)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="127.0.0.1:7051")
    parser.add_argument("--descriptors", default="dockhand.binpb")
    parser.add_argument("--timeout", type=float, default=120, help="deadline in seconds; ends a server stream that would run on")
    parser.add_argument("--cacert", help="PEM CA bundle: call over TLS, trusting this CA")
    parser.add_argument("--cert", help="PEM client certificate, for mTLS")
    parser.add_argument("--key", help="PEM key of --cert")
    parser.add_argument("--token", default=os.environ.get("DOCKHAND_TOKEN"), help="bearer token (default $DOCKHAND_TOKEN)")
    parser.add_argument("method", help="for example dockhand.v1.Scaler/GetStatus")
    parser.add_argument("request", nargs="?", default="{}", help="request as JSON")
    args = parser.parse_args()
    credentials = None
    if args.cacert:
        def read(path):
            with open(path, "rb") as handle:
                return handle.read()
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read(args.cacert),
            private_key=read(args.key) if args.key else None,
            certificate_chain=read(args.cert) if args.cert else None,
        )
    client = Dockhand(args.target, args.descriptors, credentials, args.token)
    try:
        for response in client.call(args.method, json.loads(args.request), timeout=args.timeout):
            print(json.dumps(response, sort_keys=True), flush=True)
    except grpc.RpcError as err:
        print(f"{err.code().name}: {err.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
