"""Reading a params file: size and type checks, PyYAML's safe loader hardened (no aliases, no
duplicate keys, a line for every unreadable scalar), YAML errors as ``Problem`` s, and ``load``.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from llmdecide.errors import ParamsError, Problem
from llmdecide.params.fields import (
    _show,
)
from llmdecide.params.models import ClientParams
from llmdecide.params.problems import problems_from_validation

MAX_FILE_BYTES = 1024 * 1024
TEMPLATE_HINT = "start from params/clients/_template.yaml (llmdecide new <slug>)"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader (no Python objects) that also refuses aliases and duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not allowed in params files; write the value out in full",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_object(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        # a scalar the resolver typed but Python cannot build (2025-02-30, !!int abc, a
        # 5000-digit number) raises ValueError & co. without a line: give it one
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            if not isinstance(node, yaml.ScalarNode):
                raise
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            detail = str(exc).split(";")[0]
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{_show(node.value)} cannot be read as {tag} ({detail}); fix the value, or put "
                "it in quotes to keep it as text",
                node.start_mark,
            ) from None

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, Any] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # PyYAML's own error ("unhashable key") follows
                if key in first:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {key!r} (first given on line {first[key].line + 1}); "
                        "keep one",
                        key_node.start_mark,
                    )
                first[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _yaml_problem(file: str, text: str, exc: yaml.YAMLError) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):  # a control character; its str() spans 2 lines
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        return Problem(
            file,
            f"line {line}",
            f"the control character U+{code:04X} is not allowed in YAML text; remove it (or, "
            f'if it is meant, write it escaped in double quotes: "\\u{code:04x}")',
        )
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc)
    tag = re.search(r"constructor for the tag '([^']+)'", problem)
    if tag:
        name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        if "python/" in name:
            expected = (
                f"the tag {name} is not allowed: params files are plain data, loaded with "
                "yaml.safe_load, which refuses !!python/object and every other Python tag; "
                "remove the tag"
            )
        else:
            expected = f"the tag {name} is not allowed: params files are plain data; remove it"
        return Problem(file, where, expected)
    tab_lines = [
        n
        for n, line in enumerate(text.splitlines(), 1)
        if "\t" in line[: len(line) - len(line.lstrip(" \t"))]
    ]
    if tab_lines and isinstance(exc, yaml.MarkedYAMLError):
        also = f" (also on line {', '.join(map(str, tab_lines[1:6]))})" if tab_lines[1:] else ""
        return Problem(
            file,
            f"line {tab_lines[0]}",
            f"tab character in the indentation{also}: YAML indents with spaces only; "
            "replace each tab with spaces",
        )
    hints = {
        "mapping values are not allowed": (
            "a value containing ': ' needs quotes, or the indentation is off"
        ),
        "could not find expected ':'": "each line needs 'key: value' (with a space after ':')",
        "did not find expected key": "check the indentation of this line and the one above",
        "found unhashable key": "a key must be plain text",
        "did not find expected node content": "a value is missing or a bracket is unbalanced",
        "expected ',' or ']'": "a [ ] list is not closed, or two of its items lack a comma",
        "expected ',' or '}'": "a { } mapping is not closed, or two of its entries lack a comma",
    }
    hint = next((h for k, h in hints.items() if k in problem), "")
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        context += f" started on line {context_mark.line + 1}"
    expected = f"YAML syntax error: {problem}"
    if context and "duplicate" not in problem and "aliases" not in problem:
        expected += f" ({context})"
    if hint:
        expected += f"; {hint}"
    if "duplicate key" in problem or "aliases" in problem or "cannot be read as" in problem:
        expected = problem
    return Problem(file, where, expected)


def _read_yaml(path: Path, file: str) -> Any:
    try:
        if path.is_dir():
            raise ParamsError(Problem(file, "", "is a folder; give the path of a .yaml file"))
        info = path.stat()
        size = info.st_size
    except FileNotFoundError:
        raise ParamsError(
            Problem(
                file,
                "",
                "no such file; check the path (client files live in params/clients/<slug>.yaml)",
            )
        ) from None
    except OSError as exc:
        raise ParamsError(Problem(file, "", f"cannot be read ({exc.strerror})")) from None
    if not stat.S_ISREG(info.st_mode):
        # a device (/dev/zero) or a pipe would be read forever
        raise ParamsError(
            Problem(
                file,
                "",
                "is not a regular file (a device, a pipe or a socket?); give the path of a .yaml file",
            )
        )
    if size > MAX_FILE_BYTES:
        raise ParamsError(
            Problem(
                file,
                "",
                f"the file is {size:,} bytes; a params file is a few kilobytes (limit 1 MiB): "
                "is this the right file?",
            )
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParamsError(Problem(file, "", f"cannot be read ({exc.strerror})")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParamsError(
            Problem(
                file,
                f"line {line}",
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            )
        ) from None
    if not text.strip():
        raise ParamsError(Problem(file, "", f"the file is empty; {TEMPLATE_HINT}"))
    try:
        data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ParamsError(_yaml_problem(file, text, exc)) from None
    except RecursionError:
        raise ParamsError(
            Problem(
                file,
                "",
                "lists or mappings are nested hundreds of levels deep; a params file nests a "
                "few levels: is this the right file?",
            )
        ) from None
    if data is None:
        raise ParamsError(
            Problem(file, "", f"the file holds only comments, no settings; {TEMPLATE_HINT}")
        )
    if not isinstance(data, dict):
        sections = ", ".join(ClientParams.model_fields)
        raise ParamsError(
            Problem(
                file,
                "",
                f"the top level must be a mapping of sections ({sections}), got {_show(data)}",
            )
        )
    return data


def load(
    path: str | Path,
    *,
    display_path: str | None = None,
    display_name: str | None = None,
    check_files: bool = True,
) -> ClientParams:
    """Read and validate a client params file; every problem is reported in one ``ParamsError``.

    ``display_path`` (alias ``display_name``) is the file name used in messages (default: ``path``
    as given). With ``check_files``, measurement files must exist (relative to the params file).
    """
    path = Path(path)
    shown = display_path if display_path is not None else display_name
    file = shown if shown is not None else str(path)
    data = _read_yaml(path, file)
    try:
        client = ClientParams.model_validate(data)
    except ValidationError as exc:
        raise ParamsError(problems_from_validation(exc, file)) from None
    client._source_path = path.resolve()
    if check_files:
        problems = []
        for files in client.measurement_files().values():
            for where, resolved in files:
                if not resolved.is_file():
                    if resolved.is_dir():
                        what = "is a folder, expected a file"
                    elif resolved.exists():
                        what = "is not a regular file (a device, a pipe or a socket?)"
                    else:
                        what = "file not found"
                    problems.append(
                        Problem(
                            file,
                            where,
                            f"{what}: {resolved} (paths are relative to the params file's folder)",
                        )
                    )
        if problems:
            raise ParamsError(problems)
    return client
