"""A schema-only stand-in for hashicorp/aws, served to Terraform core over plugin protocol 6.

Terraform core does the real work of `validate` and `terraform test`: it decodes every resource and
data source block against the provider's schema (unknown attribute names, missing required arguments,
wrong types, bad references) and, under `mock_provider "aws"`, fakes the provider's reads and writes.
All it needs from the provider is the schema, which this process serves from the file built by
`aws_schema.py`. It creates nothing: planning or applying for real is refused with a clear error.

Started by Terraform (as `terraform-provider-aws` in a filesystem mirror), never by hand.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import sys
import tempfile
import threading
from concurrent import futures
from pathlib import Path

SCHEMA_ENV = "LAKEHOUSE_TF_SCHEMA"
_NESTING = {"single": "SINGLE", "list": "LIST", "set": "SET", "map": "MAP", "group": "GROUP"}
_REFUSED = (
    "the offline schema-only stand-in for hashicorp/aws cannot plan or apply; use it only for "
    "`terraform validate` and `terraform test` with mock_provider"
)


def _cty(type_json) -> bytes:
    return json.dumps(type_json, separators=(",", ":")).encode()


def _attribute(pb, name: str, spec: dict):
    kwargs = {
        "name": name,
        "required": bool(spec.get("required")),
        "optional": bool(spec.get("optional")),
        "computed": bool(spec.get("computed")),
        "sensitive": bool(spec.get("sensitive")),
    }
    if "nested_type" in spec:
        nested = spec["nested_type"]
        kwargs["nested_type"] = pb.Schema.Object(
            attributes=[_attribute(pb, n, s) for n, s in sorted(nested["attributes"].items())],
            nesting=getattr(pb.Schema.Object, _NESTING[nested["nesting_mode"]]),
        )
    else:
        kwargs["type"] = _cty(spec["type"])
    return pb.Schema.Attribute(**kwargs)


def _block(pb, spec: dict):
    return pb.Schema.Block(
        attributes=[_attribute(pb, n, s) for n, s in sorted(spec.get("attributes", {}).items())],
        block_types=[
            pb.Schema.NestedBlock(
                type_name=n,
                block=_block(pb, b["block"]),
                nesting=getattr(pb.Schema.NestedBlock, _NESTING[b["nesting_mode"]]),
                min_items=b.get("min_items", 0),
                max_items=b.get("max_items", 0),
            )
            for n, b in sorted(spec.get("block_types", {}).items())
        ],
    )


def schema_response(pb, schema_path: Path):
    """The GetProviderSchema response; cached next to the schema file as serialized protobuf."""
    cached = schema_path.with_suffix(".pb")
    if cached.exists() and cached.stat().st_mtime >= schema_path.stat().st_mtime:
        return pb.GetProviderSchema.Response.FromString(cached.read_bytes())
    with gzip.open(schema_path, "rt") as handle:
        doc = json.load(handle)
    (body,) = doc["provider_schemas"].values()

    def schema(spec):
        return pb.Schema(version=spec.get("version", 0), block=_block(pb, spec["block"]))

    response = pb.GetProviderSchema.Response(
        provider=schema(body["provider"]),
        provider_meta=pb.Schema(block=pb.Schema.Block()),
        resource_schemas={n: schema(s) for n, s in body["resource_schemas"].items()},
        data_source_schemas={n: schema(s) for n, s in body["data_source_schemas"].items()},
        server_capabilities=pb.ServerCapabilities(plan_destroy=True),
    )
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(response.SerializeToString())
    tmp.replace(cached)
    return response


def serve(schema_path: Path) -> None:
    import grpc
    from tf.gen import grpc_controller_pb2 as controller_pb
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc
    from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
    from tf.gen import tfplugin_pb2 as pb
    from tf.gen import tfplugin_pb2_grpc as rpc
    from tf.runner import _self_signed_cert

    def refused(response_type):
        return response_type(diagnostics=[pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=_REFUSED)])

    class StandIn(rpc.ProviderServicer):
        def __init__(self):
            self.schema = schema_response(pb, schema_path)

        def GetMetadata(self, request, context):
            return pb.GetMetadata.Response(
                server_capabilities=pb.ServerCapabilities(plan_destroy=True),
                resources=[
                    pb.GetMetadata.ResourceMetadata(type_name=n) for n in self.schema.resource_schemas
                ],
                data_sources=[
                    pb.GetMetadata.DataSourceMetadata(type_name=n) for n in self.schema.data_source_schemas
                ],
            )

        def GetProviderSchema(self, request, context):
            return self.schema

        # Terraform core validates configuration against the schema itself; nothing provider-side here.
        def ValidateProviderConfig(self, request, context):
            return pb.ValidateProviderConfig.Response()

        def ValidateResourceConfig(self, request, context):
            return pb.ValidateResourceConfig.Response()

        def ValidateDataResourceConfig(self, request, context):
            return pb.ValidateDataResourceConfig.Response()

        def ConfigureProvider(self, request, context):
            return pb.ConfigureProvider.Response()

        def UpgradeResourceState(self, request, context):
            return pb.UpgradeResourceState.Response(
                upgraded_state=pb.DynamicValue(json=request.raw_state.json)
            )

        def PlanResourceChange(self, request, context):
            return refused(pb.PlanResourceChange.Response)

        def ApplyResourceChange(self, request, context):
            return refused(pb.ApplyResourceChange.Response)

        def ReadResource(self, request, context):
            return refused(pb.ReadResource.Response)

        def ReadDataSource(self, request, context):
            return refused(pb.ReadDataSource.Response)

        def ImportResourceState(self, request, context):
            return refused(pb.ImportResourceState.Response)

        def StopProvider(self, request, context):
            stop.set()
            return pb.StopProvider.Response()

    stop = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    rpc.add_ProviderServicer_to_server(StandIn(), server)

    class Controller(controller_rpc.GRPCControllerServicer):
        def Shutdown(self, request, context):
            stop.set()
            return controller_pb.Empty()

    class Stdio(stdio_rpc.GRPCStdioServicer):
        def StreamStdio(self, request, context):
            return iter([])

    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(Stdio(), server)

    with tempfile.TemporaryDirectory(prefix="tf-aws-standin-") as tmp:
        sock = f"{tmp}/plugin.sock"
        chain, credentials = _self_signed_cert()
        server.add_secure_port(f"unix://{sock}", credentials)
        server.start()
        cert = base64.b64encode(chain).decode().rstrip("=")
        print(f"1|6|unix|{sock}|grpc|{cert}", flush=True)
        # Terraform stops plugins by closing them; also stop when the parent goes away.
        parent = os.getppid()
        while not stop.wait(0.2):
            if os.getppid() != parent:
                break
        server.stop(grace=0.2)


def main() -> int:
    path = os.environ.get(SCHEMA_ENV)
    if not path or not Path(path).exists():
        print(f"{SCHEMA_ENV} must name the schema built by aws_schema.py", file=sys.stderr)
        return 2
    if os.environ.get("TF_PLUGIN_MAGIC_COOKIE") is None:
        print("This is a Terraform plugin; Terraform starts it.", file=sys.stderr)
        return 2
    serve(Path(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
