#!/usr/bin/env python3
"""Opens a shell (or any command) in a container over ContainerAgent.ExecSession, a
bidirectional gRPC stream, from Python grpcio with no generated code.

    python3 exec_session.py [--descriptors dockhand.binpb] [--target 127.0.0.1:7051] \
        CONTAINER -- sh

This program's stdin goes to the command's stdin as it arrives (end of file closes the command's
stdin, so `cat` sees EOF), the command's stdout and stderr come out on this program's, and it
exits with the command's exit code. --tty gives the command a terminal (stdout only, `\\r\\n`).
--token (or DOCKHAND_TOKEN) sends `authorization: Bearer <token>`; the caller needs the exec
right (admin, or an operator granted `exec: true`).
"""
import argparse
import os
import sys

import grpc

from dockhand_client import Dockhand, message_class

SESSION = "dockhand.v1.ContainerAgent/ExecSession"


def requests(request_class, open_fields):
    """The open message, then this program's stdin in chunks as it comes, then close_stdin."""
    yield request_class(open=open_fields)
    while True:
        chunk = os.read(sys.stdin.fileno(), 65536)
        if not chunk:
            break
        yield request_class(stdin=chunk)
    yield request_class(close_stdin={})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="127.0.0.1:7051")
    parser.add_argument("--descriptors", default="dockhand.binpb")
    parser.add_argument("--token", default=os.environ.get("DOCKHAND_TOKEN"))
    parser.add_argument("--tty", action="store_true", help="give the command a terminal")
    parser.add_argument("container")
    parser.add_argument("command", nargs="+", help="argv, after --")
    args = parser.parse_args()
    client = Dockhand(args.target, args.descriptors, token=args.token)
    method = client.pool.FindServiceByName("dockhand.v1.ContainerAgent").FindMethodByName("ExecSession")
    request_class = message_class(method.input_type)
    response_class = message_class(method.output_type)
    session = client.channel.stream_stream(
        f"/{SESSION}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_class.FromString,
    )
    open_fields = {"id": args.container, "command": args.command, "tty": args.tty, "stdin": True}
    exit_code = 1
    try:
        for response in session(requests(request_class, open_fields), metadata=client.metadata):
            kind = response.WhichOneof("item")
            if kind == "output":
                # OUTPUT_STREAM_STDERR is 2; everything else (and all of it with a tty) is stdout.
                out = sys.stderr if response.output.stream == 2 else sys.stdout
                out.buffer.write(response.output.data)
                out.buffer.flush()
            elif kind == "result":
                exit_code = response.result.exit_code
    except grpc.RpcError as err:
        print(f"{err.code().name}: {err.details()}", file=sys.stderr)
        return 1
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
