"""The manifest of a sharded index: shard count, routing, schema version and whole generation.

A sharded index is a folder holding ``shards.json`` and one folder per build
generation, ``gen-000001/shard-000`` and so on. A build writes a complete new
generation beside the current one and then replaces the manifest (one
durable rename): readers and the next build see either the old generation
or the new one, never a mix, whatever happens to the build. Folders of other
generations are leftovers of finished or failed builds, removed by the next.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from searchkit.distributed.routing import ROUTING
from searchkit.engine.durable import write_durably
from searchkit.engine.schema import SCHEMA_VERSION
from searchkit.errors import IndexCorruptError, IndexIncompatibleError, IndexNotFoundError

MANIFEST_NAME = "shards.json"
FORMAT = "searchkit-shards"


@dataclass(frozen=True)
class Manifest:
    """What a sharded index consists of (see the module docstring)."""

    shard_count: int
    generation: int
    routing: str = ROUTING
    schema_version: int = SCHEMA_VERSION

    def generation_dir(self, root: str | os.PathLike[str], generation: int | None = None) -> Path:
        """The folder of ``generation`` (this manifest's by default) under ``root``."""
        return Path(root) / generation_name(self.generation if generation is None else generation)

    def shard_dirs(self, root: str | os.PathLike[str]) -> list[Path]:
        """Every shard's folder in this manifest's generation, in shard order."""
        folder = self.generation_dir(root)
        return [folder / shard_name(number) for number in range(self.shard_count)]

    def to_json(self) -> str:
        """The manifest file's text."""
        data = {
            "format": FORMAT,
            "shard_count": self.shard_count,
            "generation": self.generation,
            "routing": self.routing,
            "schema_version": self.schema_version,
        }
        return json.dumps(data, indent=2) + "\n"


def generation_name(generation: int) -> str:
    """A generation's folder name."""
    return f"gen-{generation:06d}"


def shard_name(number: int) -> str:
    """A shard's folder name inside its generation."""
    return f"shard-{number:03d}"


def is_sharded(root: str | os.PathLike[str]) -> bool:
    """Whether ``root`` is a sharded index (holds a manifest)."""
    return (Path(root) / MANIFEST_NAME).is_file()


def read_manifest(root: str | os.PathLike[str]) -> Manifest:
    """The manifest of the sharded index at ``root``.

    Raises IndexNotFoundError without one, IndexCorruptError when it cannot
    be read, IndexIncompatibleError for another schema version or routing.
    """
    path = Path(root) / MANIFEST_NAME
    name = str(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexNotFoundError(name) from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(name, f"its shard manifest cannot be read: {exc}") from exc
    try:
        if data["format"] != FORMAT:
            raise ValueError(f"format {data['format']!r}")
        manifest = Manifest(
            shard_count=int(data["shard_count"]),
            generation=int(data["generation"]),
            routing=str(data["routing"]),
            schema_version=int(data["schema_version"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexCorruptError(name, f"its shard manifest is not valid: {exc}") from exc
    if manifest.shard_count < 1:
        raise IndexCorruptError(name, "its shard manifest names no shards")
    if manifest.routing != ROUTING:
        raise IndexIncompatibleError(name, f"routes documents by {manifest.routing!r}")
    if manifest.schema_version != SCHEMA_VERSION:
        raise IndexIncompatibleError(
            name,
            f"has schema version {manifest.schema_version}, this searchkit needs {SCHEMA_VERSION}",
        )
    return manifest


def write_manifest(root: str | os.PathLike[str], manifest: Manifest) -> None:
    """Replace the manifest durably: this is the commit of a sharded build."""
    write_durably(Path(root) / MANIFEST_NAME, manifest.to_json().encode("utf-8"), 0o644)
