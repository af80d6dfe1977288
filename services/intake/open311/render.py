"""Rendering Open311 answers as the spec shows them: XML (the default) or JSON.

JSON drops the XML root: a list of records for collections, an object for single
documents (discovery, a service definition). XML is built with ``ElementTree`` so every
value is escaped; characters XML 1.0 cannot carry at all (most C0 controls) are dropped,
so a stray ``\\x00`` in a description can never make the document unparseable.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import Response

XML = "xml"
JSON = "json"
FORMATS = (XML, JSON)
DEFAULT_FORMAT = XML
MEDIA_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

#: The element name of one item of a list-valued field (``<formats><format>…``).
LIST_ITEM_TAGS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Record = Mapping[str, Any]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML_CHAR.sub("", str(value))


def _fill(element: ET.Element, record: Record) -> None:
    for key, value in record.items():
        child = ET.SubElement(element, key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            _fill(child, value)
        elif isinstance(value, Sequence) and not isinstance(value, str):
            item_tag = LIST_ITEM_TAGS.get(key, "item")
            for item in value:
                node = ET.SubElement(child, item_tag)
                if isinstance(item, Mapping):
                    _fill(node, item)
                else:
                    node.text = _text(item)
        else:
            child.text = _text(value)


def xml_document(
    root_tag: str, body: Record | Sequence[Record], item_tag: str | None = None
) -> str:
    """``<root_tag>`` holding one ``<item_tag>`` per record, or the record's fields directly."""
    root = ET.Element(root_tag)
    if item_tag is None:
        _fill(root, body)
    else:
        for record in body:
            _fill(ET.SubElement(root, item_tag), record)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode")


def render(
    fmt: str,
    body: Record | Sequence[Record],
    *,
    root_tag: str,
    item_tag: str | None = None,
    status_code: int = 200,
) -> Response:
    """One answer in ``fmt``: ``item_tag`` set means ``body`` is a list of records."""
    if fmt == JSON:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    else:
        content = xml_document(root_tag, body, item_tag)
    return Response(content.encode("utf-8"), status_code=status_code, media_type=MEDIA_TYPES[fmt])


def render_errors(
    fmt: str, status_code: int, description: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The spec's error array: ``[{"code", "description"}]`` / ``<errors><error>…``."""
    response = render(
        fmt if fmt in FORMATS else DEFAULT_FORMAT,
        [{"code": status_code, "description": description}],
        root_tag="errors",
        item_tag="error",
        status_code=status_code,
    )
    if headers:
        response.headers.update(headers)
    return response
