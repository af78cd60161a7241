"""The repository's own contract documents cover what the code writes and reads.

docs/params.md must name every key of params/schema.json (the schema is written from the pydantic
models, so a new key without documentation fails here); docs/outputs.md must name every key of
results.json and every column of configurations.csv of a real run of the retail example.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from _reference_run import SLUG, reference_root

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def _schema_key_paths(schema: dict[str, Any]) -> list[str]:
    """``section.key`` paths of the params schema, ``[]`` marking a list of objects."""
    defs = schema.get("$defs", {})

    def refs(node: dict[str, Any]) -> list[str]:
        out = [node["$ref"]] if "$ref" in node else []
        for alt in node.get("anyOf", []):
            out += refs(alt)
        if node.get("type") == "array":
            out += refs(node.get("items", {}))
        return out

    def is_list(node: dict[str, Any]) -> bool:
        return node.get("type") == "array" or any(
            a.get("type") == "array" for a in node.get("anyOf", [])
        )

    paths: list[str] = []

    def walk(props: dict[str, Any], prefix: str, seen: tuple[str, ...]) -> None:
        for key, node in props.items():
            paths.append(prefix + key)
            for ref in refs(node):
                name = ref.split("/")[-1]
                sub = defs[name]
                if "properties" in sub and name not in seen:
                    walk(
                        sub["properties"],
                        prefix + key + ("[]." if is_list(node) else "."),
                        (*seen, name),
                    )

    walk(schema["properties"], "", ())
    return paths


def _code_spans(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def test_params_doc_names_every_schema_key() -> None:
    schema = json.loads((REPO / "params" / "schema.json").read_text(encoding="utf-8"))
    paths = _schema_key_paths(schema)
    assert len(paths) > 100  # the walk reaches the nested sections (126 keys on 2026-12-01)
    spans = _code_spans((DOCS / "params.md").read_text(encoding="utf-8"))
    missing = [p for p in paths if p not in spans]
    assert not missing, f"docs/params.md does not document: {missing}"


def test_outputs_doc_names_every_results_key_and_csv_column(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    report = reference_root(tmp_path_factory) / SLUG
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    with (report / "configurations.csv").open(encoding="utf-8", newline="") as f:
        columns = next(csv.reader(f))
    text = (DOCS / "outputs.md").read_text(encoding="utf-8")
    spans = _code_spans(text)
    # the _low/_high scenario columns are documented as a family (docs/method.md §2)
    bases = {re.sub(r"_(low|high)$", "", c) for c in columns}
    missing_cols = sorted(c for c in bases if c not in spans)
    missing_keys = sorted(k for k in results if k not in spans)
    assert not missing_cols, f"docs/outputs.md does not document columns: {missing_cols}"
    assert not missing_keys, f"docs/outputs.md does not document results.json keys: {missing_keys}"


def test_code_and_templates_cite_the_repository_documents() -> None:
    """No reference to a specification outside the repository: code, templates, notebooks and
    docs cite docs/params.md, docs/outputs.md, docs/method.md, docs/catalog.md instead."""
    roots = ("lib", "templates", "notebooks", "tests", "bench", "scripts", "docs")
    hits = []
    for root in roots:
        for path in sorted((REPO / root).rglob("*")):
            if (
                path.suffix not in {".py", ".j2", ".md", ".ipynb", ".yaml"}
                or "bad_inputs" in path.parts
            ):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for n, line in enumerate(text.splitlines(), 1):
                if "SPEC §" in line and path.name != "test_docs.py":
                    hits.append(f"{path.relative_to(REPO)}:{n}: {line.strip()[:80]}")
    assert not hits, "cite the repository's docs/ instead:\n" + "\n".join(hits)
