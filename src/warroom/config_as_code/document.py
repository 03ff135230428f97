"""Reading a config file: YAML checked against the schema node by node, so every refusal names its line."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from warroom.config_as_code.schema import SCHEMA
from warroom.core.errors import ValidationFailed

Path = tuple[str | int, ...]
NULL = "tag:yaml.org,2002:null"
INT = "tag:yaml.org,2002:int"
BOOL = "tag:yaml.org,2002:bool"
MAX_BYTES = 20_000_000
# Values read at most: an alias re-reads its anchor's value, so a small file of aliases could otherwise be endless.
MAX_VALUES = 1_000_000
# libyaml's parser when PyYAML was built with it (the wheels are): the same nodes and marks, ~10x faster.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(ValidationFailed):
    """A file that cannot be applied: the message starts with where in the file."""


@dataclass
class Document:
    """The file's values, and the line each value starts on (1-based), by path."""

    data: dict[str, Any]
    lines: dict[Path, int] = field(default_factory=dict)

    def section(self, name: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.data.get(name) or []
        return items

    def line(self, path: Path) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def fail(self, path: Path, message: str) -> ConfigError:
        return ConfigError(f"line {self.line(path)} ({shown(path)}): {message}")


def shown(path: Path) -> str:
    """``schedules[2].layers[0]``: where a value is, as people read it."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "the file"


def read(text: str) -> Document:
    """Parse and check a whole file; the first problem is the refusal."""
    if len(text.encode()) > MAX_BYTES:
        raise ConfigError(f"The file is larger than {MAX_BYTES // 1_000_000} MB.")
    try:
        loader = LOADER(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}" if mark else "the file"
        raise ConfigError(f"{where}: not YAML: {error.problem or error.context}.") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"The file is not YAML: {error}.") from None
    if root is None:
        raise ConfigError("The file is empty; start it with `version: 1` (or run `warroom config export`).")
    document = Document({})
    data = _Reader(document).value(root, SCHEMA, ())
    document.data = data
    return document


class _Reader:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.values = 0

    def _fail(self, node: Node, path: Path, message: str) -> ConfigError:
        return ConfigError(f"line {node.start_mark.line + 1} ({shown(path)}): {message}")

    def value(self, node: Node, schema: Mapping[str, Any], path: Path) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise self._fail(node, path, f"the file holds more than {MAX_VALUES:,} values (are aliases repeating "
                                         "a large list?).")
        self.document.lines[path] = node.start_mark.line + 1
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if isinstance(node, ScalarNode) and node.tag == NULL:
            if "null" in kinds:
                return None
            raise self._fail(node, path, f"needs a value ({_kinds(kinds)}).")
        if "object" in kinds:
            return self._mapping(node, schema, path)
        if "array" in kinds:
            return self._sequence(node, schema, path)
        return self._scalar(node, schema, path, kinds)

    def _mapping(self, node: Node, schema: Mapping[str, Any], path: Path) -> dict[str, Any]:
        if not isinstance(node, MappingNode):
            raise self._fail(node, path, "is a mapping of fields (name: value).")
        known: Mapping[str, Any] = schema["properties"]
        found: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else ""
            if key not in known:
                raise self._fail(key_node, path, _unknown(key, known))
            if key in found:
                raise self._fail(key_node, path, f"'{key}' is given twice.")
            found[key] = self.value(value_node, known[key], (*path, key))
        missing = [name for name in schema.get("required", []) if name not in found]
        if missing:
            raise self._fail(node, path, f"needs {', '.join(missing)}.")
        low, high = schema.get("minProperties"), schema.get("maxProperties")
        if (low is not None and len(found) < low) or (high is not None and len(found) > high):
            raise self._fail(node, path, f"give exactly one of {', '.join(known)}.")
        return found

    def _sequence(self, node: Node, schema: Mapping[str, Any], path: Path) -> list[Any]:
        if not isinstance(node, SequenceNode):
            raise self._fail(node, path, "is a list (lines starting with '- ').")
        return [self.value(item, schema["items"], (*path, index)) for index, item in enumerate(node.value)]

    def _scalar(self, node: Node, schema: Mapping[str, Any], path: Path, kinds: list[str]) -> Any:
        if not isinstance(node, ScalarNode):
            shape = "list" if isinstance(node, SequenceNode) else "mapping"
            raise self._fail(node, path, f"is {_kinds(kinds)}, not a {shape}.")
        if "integer" in kinds:
            return self._integer(node, schema, path)
        if "boolean" in kinds:
            if node.tag != BOOL:
                raise self._fail(node, path, f"is true or false, not '{node.value}'.")
            return node.value.lower() in ("true", "yes", "on")
        text = str(node.value)
        if "enum" in schema and text not in schema["enum"]:
            raise self._fail(node, path, f"'{text}' is not one of {', '.join(schema['enum'])}.")
        if "pattern" in schema and not re.match(schema["pattern"], text):
            raise self._fail(node, path, f"'{text}' is not {schema['description'][:1].lower()}"
                                         f"{schema['description'][1:].rstrip('.')}.")
        return text

    def _integer(self, node: ScalarNode, schema: Mapping[str, Any], path: Path) -> int:
        if node.tag != INT:
            raise self._fail(node, path, f"is a whole number, not '{node.value}'.")
        number = int(SafeConstructor().construct_yaml_int(node))
        low, high = schema.get("minimum"), schema.get("maximum")
        if "enum" in schema and number not in schema["enum"]:
            raise self._fail(node, path, f"{number} is not one of {', '.join(str(v) for v in schema['enum'])}.")
        if (low is not None and number < low) or (high is not None and number > high):
            bound = f"{low} to {high}" if high is not None else f"at least {low}"
            raise self._fail(node, path, f"{number} is out of range ({bound}).")
        return number


def _kinds(kinds: list[str]) -> str:
    words = {"string": "text", "integer": "a whole number", "boolean": "true or false", "array": "a list",
             "object": "a mapping"}
    return " or ".join(words[k] for k in kinds if k != "null")


def _unknown(key: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    guess = f" Did you mean '{close[0]}'?" if close else ""
    return f"unknown field '{key}'.{guess} Known fields: {', '.join(known)}."
