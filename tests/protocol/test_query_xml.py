"""SES v1's XML, written as text, is byte for byte what ElementTree wrote from the tree the
writer once built (the reference below), for every operation's sample output and every
modelled error."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from poolmail.protocol import query
from poolmail.protocol.errors import AwsError
from poolmail.protocol.models import SES, error_shapes, error_status, error_wire_code, service_model
from tests.protocol.samples import sample_output

REQUEST_ID = "5e1c6c0a-0000-4000-8000-00000000abcd"
MESSAGE = "Something went wrong: <'&'> \"ü\"\r\n\t"


def reference_result(name: str, result: dict[str, Any]) -> bytes:
    operation = service_model(SES).operation_model(name)
    root = ET.Element(f"{name}Response", xmlns=service_model(SES).metadata["xmlNamespace"])
    output = operation.output_shape
    if output is not None:
        wrapper = output.serialization.get("resultWrapper", f"{name}Result")
        write_structure(ET.SubElement(root, wrapper), output, result)
    ET.SubElement(ET.SubElement(root, "ResponseMetadata"), "RequestId").text = REQUEST_ID
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def reference_error(error: AwsError) -> bytes:
    root = ET.Element("ErrorResponse", xmlns=service_model(SES).metadata["xmlNamespace"])
    node = ET.SubElement(root, "Error")
    status = error.status or error_status(SES, error.code) or 400
    ET.SubElement(node, "Type").text = "Sender" if status < 500 else "Receiver"
    ET.SubElement(node, "Code").text = error_wire_code(SES, error.code)
    ET.SubElement(node, "Message").text = error.message
    shape = error_shapes(SES).get(error.code)
    if shape is not None:
        write_structure(node, shape, error.fields)
    ET.SubElement(root, "RequestId").text = REQUEST_ID
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def write_structure(node: ET.Element, shape: StructureShape, value: dict[str, Any]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None:
            continue
        tag = member.serialization.get("name", name)
        if isinstance(member, ListShape) and member.serialization.get("flattened"):
            for entry in item:
                write(ET.SubElement(node, tag), member.member, entry)
        else:
            write(ET.SubElement(node, tag), member, item)


def write(node: ET.Element, shape: Shape, value: Any) -> None:
    if isinstance(shape, StructureShape):
        write_structure(node, shape, value)
    elif isinstance(shape, ListShape):
        for item in value:
            tag = shape.member.serialization.get("name", "member")
            write(ET.SubElement(node, tag), shape.member, item)
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            entry = ET.SubElement(node, "entry")
            ET.SubElement(entry, shape.key.serialization.get("name", "key")).text = str(key)
            write(
                ET.SubElement(entry, shape.value.serialization.get("name", "value")),
                shape.value,
                item,
            )
    else:
        node.text = query._scalar_text(shape, value)


@pytest.mark.parametrize("items", [0, 2])
@pytest.mark.parametrize("name", service_model(SES).operation_names)
def test_results_read_as_elementtree_wrote_them(name: str, items: int) -> None:
    operation = service_model(SES).operation_model(name)
    result = sample_output(operation, items=items)
    written = query.serialize_result(SES, operation, result, REQUEST_ID)
    assert written.body == reference_result(name, result)
    # Empty strings make short empty elements, as ElementTree writes them.
    emptied = {key: "" if isinstance(value, str) else value for key, value in result.items()}
    assert query.serialize_result(SES, operation, emptied, REQUEST_ID).body == reference_result(
        name, emptied
    )


@pytest.mark.parametrize("code", [shape.name for shape in service_model(SES).error_shapes])
def test_errors_read_as_elementtree_wrote_them(code: str) -> None:
    shape = error_shapes(SES)[code]
    fields: dict[str, Any] = {}
    for name, member in shape.members.items():
        if member.type_name == "string" and name != "message":
            fields[name] = MESSAGE
    error = AwsError(code, MESSAGE, fields=fields)
    assert query.serialize_error(SES, error, REQUEST_ID).body == reference_error(error)
    internal = AwsError("InternalFailure", MESSAGE, status=500)
    assert query.serialize_error(SES, internal, REQUEST_ID).body == reference_error(internal)
