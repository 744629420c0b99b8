"""Build the hashicorp/aws provider schema from the npm package @cdktf/provider-aws.

No provider binary or registry is reachable offline, but cdktf's prebuilt package is generated from the
provider's own schema and ships it in its jsii assembly: every resource's and data source's arguments
(name, type, required or optional, nested blocks) in its `<Name>Config` struct and every computed
attribute as a getter on its class. This module turns that back into the JSON format of
`terraform providers schema -json`, which `standin_provider.py` serves to real Terraform core.

What it cannot know: provider-side value rules (enums, ARN formats), set versus list for collections,
and which optional resource arguments are also computed (only `id` is marked so; a data source's
optional arguments all are). Validation of names, required
arguments, types, blocks and references is exact.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"
_DOC_LINK = re.compile(r"registry\.terraform\.io/\S+#(\w+) ")
_CLASS_LINK = re.compile(r"/docs/(resources|data-sources)/\w+ (aws_\w+)\}")
_SCALARS = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic", "json": "dynamic"}
_CDKTF_MAPS = {
    "cdktf.StringMap": ["map", "string"],
    "cdktf.NumberMap": ["map", "number"],
    "cdktf.BooleanMap": ["map", "bool"],
    "cdktf.AnyMap": ["map", "dynamic"],
    "cdktf.StringMapList": ["list", ["map", "string"]],
    "cdktf.NumberMapList": ["list", ["map", "number"]],
    "cdktf.BooleanMapList": ["list", ["map", "bool"]],
    "cdktf.AnyMapList": ["list", ["map", "dynamic"]],
    "cdktf.StringListList": ["list", ["list", "string"]],
    "cdktf.NumberListList": ["list", ["list", "number"]],
}


class _Assembly:
    def __init__(self, types: dict):
        self.types = types

    def _tf_name(self, prop: dict) -> str | None:
        docs = prop.get("docs", {})
        match = _DOC_LINK.search(docs.get("summary", "") + " " + docs.get("remarks", ""))
        return match.group(1) if match else None

    def _unwrap(self, jtype: dict) -> dict:
        """cdktf writes booleans and blocks as `T | IResolvable`; keep T."""
        if "union" in jtype:
            kept = [t for t in jtype["union"]["types"] if t.get("fqn") != "cdktf.IResolvable"]
            return kept[0] if len(kept) == 1 else {"primitive": "any"}
        return jtype

    def _value_type(self, jtype: dict):
        """The cty type of a plain (non-block) value."""
        jtype = self._unwrap(jtype)
        if "primitive" in jtype:
            return _SCALARS[jtype["primitive"]]
        if "collection" in jtype:
            coll = jtype["collection"]
            kind = "list" if coll["kind"] == "array" else "map"
            return [kind, self._value_type(coll["elementtype"])]
        fqn = jtype["fqn"]
        if fqn in _CDKTF_MAPS:
            return _CDKTF_MAPS[fqn]
        return "dynamic"

    def _struct(self, jtype: dict) -> tuple[str, bool] | None:
        """(struct fqn, is_collection) when the property holds a nested object or objects."""
        jtype = self._unwrap(jtype)
        if "fqn" in jtype and self.types.get(jtype["fqn"], {}).get("datatype"):
            return jtype["fqn"], False
        if "collection" in jtype:
            inner = self._unwrap(jtype["collection"]["elementtype"])
            if "fqn" in inner and self.types.get(inner["fqn"], {}).get("datatype"):
                return inner["fqn"], True
        return None

    def block(self, struct_fqn: str, computed_from: str | None = None, depth: int = 0) -> dict:
        """The schema block of a Config struct (arguments) plus the computed getters of its class."""
        attributes: dict[str, dict] = {}
        block_types: dict[str, dict] = {}
        configured: set[str] = set()
        for prop in self.types[struct_fqn].get("properties", []):
            name = self._tf_name(prop)
            if name is None:
                continue
            configured.add(prop["name"])
            optional = bool(prop.get("optional"))
            struct = self._struct(prop["type"])
            summary = prop.get("docs", {}).get("summary", "")
            if struct and depth < 12:
                inner = self.block(struct[0], self._output_class(struct[0]), depth + 1)
                if summary.startswith(f"{name} block"):
                    nested: dict[str, object] = {"nesting_mode": "list", "block": inner}
                    if not struct[1]:
                        nested["max_items"] = 1
                    if not optional:
                        nested["min_items"] = 1
                    block_types[name] = nested
                    continue
                attributes[name] = {
                    "nested_type": {
                        "attributes": inner["attributes"],
                        "nesting_mode": "list" if struct[1] else "single",
                    },
                    ("optional" if optional else "required"): True,
                }
                continue
            attr = {"type": self._value_type(prop["type"]), ("optional" if optional else "required"): True}
            if name == "id" and depth == 0 and optional:
                attr["computed"] = True
            attributes[name] = attr
        if computed_from:
            for name, attr in self._computed(computed_from, configured, depth).items():
                attributes.setdefault(name, attr)
        return {"attributes": attributes, "block_types": block_types}

    def _output_class(self, struct_fqn: str) -> str | None:
        ref = struct_fqn + "OutputReference"
        return ref if ref in self.types else None

    def _computed(self, class_fqn: str, configured: set[str], depth: int) -> dict[str, dict]:
        """Read-only attributes: getters without a setter that are not arguments."""
        out: dict[str, dict] = {}
        for prop in self.types[class_fqn].get("properties", []):
            pname = prop["name"]
            if (
                prop.get("static")
                or not prop.get("immutable")
                or pname in configured
                or pname.endswith("Input")
                or pname in {"internalValue", "fqn", "creationStack", "terraformResource"}
                or prop.get("protected")
            ):
                continue
            name = _snake(pname)
            jtype = prop["type"]
            fqn = jtype.get("fqn", "")
            if fqn.endswith("OutputReference") or (fqn.endswith("List") and fqn not in _CDKTF_MAPS):
                ref = fqn if fqn.endswith("OutputReference") else fqn[: -len("List")] + "OutputReference"
                if ref in self.types and depth < 12:
                    inner = self._computed(ref, set(), depth + 1)
                    obj = ["object", {k: v["type"] for k, v in inner.items()}]
                    out[name] = {"type": ["list", obj], "computed": True}
                continue
            out[name] = {"type": self._value_type(jtype), "computed": True}
        return out


def _snake(camel: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", camel).lower()


def build(jsii_path: Path) -> dict:
    """The provider schema, in `terraform providers schema -json` format."""
    types = json.loads(jsii_path.read_text())["types"]
    asm = _Assembly(types)
    resources: dict[str, dict] = {}
    data_sources: dict[str, dict] = {}
    for fqn, jtype in types.items():
        if jtype.get("kind") != "class":
            continue
        match = _CLASS_LINK.search(jtype.get("docs", {}).get("summary", ""))
        config = fqn + "Config"
        if not match or config not in types:
            continue
        kind, type_name = match.groups()
        block = asm.block(config, computed_from=fqn)
        block["attributes"].setdefault("id", {"type": "string", "optional": True, "computed": True})
        if kind == "data-sources":
            # A data source reads back what it is not told (aws_region.region, aws_s3_bucket.region):
            # its optional arguments are computed too.
            for attr in block["attributes"].values():
                if attr.get("optional"):
                    attr["computed"] = True
        (resources if kind == "resources" else data_sources)[type_name] = {"version": 0, "block": block}
    provider = asm.block("@cdktf/provider-aws.provider.AwsProviderConfig")
    provider["attributes"].pop("alias", None)
    return {
        "format_version": "1.0",
        "provider_schemas": {
            PROVIDER_ADDRESS: {
                "provider": {"version": 0, "block": provider},
                "resource_schemas": resources,
                "data_source_schemas": data_sources,
            }
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: aws_schema.py <path to .jsii> <output .json.gz>", file=sys.stderr)
        return 2
    schema = build(Path(argv[0]))
    body = schema["provider_schemas"][PROVIDER_ADDRESS]
    with gzip.open(argv[1], "wt") as out:
        json.dump(schema, out, separators=(",", ":"))
    print(
        f"{len(body['resource_schemas'])} resources, {len(body['data_source_schemas'])} data sources -> {argv[1]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
