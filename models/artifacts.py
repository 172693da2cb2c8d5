"""Versioned artifact directories: one directory per trained thing, one ``manifest.json``.

A trained encoder, ranker or vector index is data, not code. Each lives in
its own directory holding its arrays (``.npy``, ``allow_pickle=False``),
fitted scikit-learn objects (joblib) or faiss indexes, and a
``manifest.json``::

    {
      "kind": "encoder",                 # what reads this directory
      "format": 1,                       # layout version of the files
      "created_at": "2024-03-05T08:30:00+00:00",
      "settings": {...},                 # the parameters it was built with
      "libraries": {"python": ..., "numpy": ..., "sklearn": ..., "faiss": ...},
      "data": {...},                     # snapshot the artifact was built from
      "metrics": {...},                  # figures measured at build time
      ...                                # anything else the writer adds
    }

Writers save their files first and the manifest last (atomically, through a
temporary file and a rename), so a directory whose save was interrupted has
no manifest and is refused on load instead of being half read.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.errors import ArtifactError

__all__ = ["MANIFEST_NAME", "library_versions", "write_manifest", "read_manifest"]

MANIFEST_NAME = "manifest.json"
_REBUILD = "run `matcher train` to rebuild / 请运行 `matcher train` 重新生成"


def library_versions() -> dict[str, str]:
    """Versions of the libraries whose files an artifact depends on.

    Returns
    -------
    dict of str to str
        ``python``, ``numpy``, ``scipy``, ``sklearn`` and ``faiss`` (``"absent"``
        when a library is not installed).
    """
    versions = {"python": platform.python_version()}
    for name, module in (
        ("numpy", "numpy"),
        ("scipy", "scipy"),
        ("sklearn", "sklearn"),
        ("faiss", "faiss"),
    ):
        try:
            versions[name] = str(__import__(module).__version__)
        except ImportError:
            versions[name] = "absent"
    return versions


def _jsonable(value: Any) -> Any:
    """Turn tuples, numpy scalars and paths into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    return value


def write_manifest(
    directory: str | os.PathLike[str],
    kind: str,
    settings: dict[str, Any],
    *,
    format_version: int,
    **extra: Any,
) -> Path:
    """Write ``manifest.json`` into an artifact directory, last and atomically.

    Parameters
    ----------
    directory : path-like
        The artifact directory (created if missing).
    kind : str
        What the directory holds, e.g. ``"encoder"`` or ``"vacancy_index"``.
    settings : dict
        The parameters the artifact was built with (JSON-serialisable after
        tuples, numpy scalars and paths are converted).
    format_version : int
        Layout version of the files, checked by :func:`read_manifest`.
    **extra
        More top-level entries, typically ``data=`` (snapshot description)
        and ``metrics=`` (figures measured at build time).

    Returns
    -------
    pathlib.Path
        Path of the manifest written.
    """
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "kind": kind,
        "format": int(format_version),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": _jsonable(settings),
        "libraries": library_versions(),
        "data": {},
        "metrics": {},
    }
    manifest.update(_jsonable(extra))
    target = path / MANIFEST_NAME
    tmp = path / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False), "utf-8")
    os.replace(tmp, target)
    return target


def read_manifest(directory: str | os.PathLike[str], kind: str, expected_format: int) -> dict[str, Any]:
    """Read and check the manifest of an artifact directory.

    Parameters
    ----------
    directory : path-like
        The artifact directory.
    kind : str
        The kind the caller can read; another kind is refused.
    expected_format : int
        The layout version the caller reads; another version is refused.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    ArtifactError
        When the directory or its manifest is missing or unreadable, or its
        kind or format differs from what was expected. The message names the
        path, what was found and what this program reads.
    """
    path = Path(directory)
    target = path / MANIFEST_NAME
    if not path.is_dir():
        raise ArtifactError(f"no artifact directory at {path}: {_REBUILD} / 模型目录不存在：{path}")
    if not target.is_file():
        raise ArtifactError(
            f"artifact at {path} has no {MANIFEST_NAME} (not an artifact, or its save was "
            f"interrupted): {_REBUILD} / 模型目录缺少 {MANIFEST_NAME}"
        )
    try:
        manifest = json.loads(target.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(
            f"artifact at {path} has an unreadable {MANIFEST_NAME} ({exc}): {_REBUILD} / 模型清单文件无法读取"
        ) from exc
    if not isinstance(manifest, dict):
        raise ArtifactError(
            f"artifact at {path} has a {MANIFEST_NAME} that is not a JSON object: {_REBUILD} / 模型清单文件格式错误"
        )
    found_kind = manifest.get("kind")
    if found_kind != kind:
        raise ArtifactError(
            f"artifact at {path} holds kind {found_kind!r}, this program expects {kind!r} there"
            f" / 模型目录类型为 {found_kind!r}，应为 {kind!r}"
        )
    found_format = manifest.get("format")
    if found_format != expected_format:
        raise ArtifactError(
            f"artifact at {path} has format {found_format}, this program reads format "
            f"{expected_format}: {_REBUILD} / 模型文件格式为 {found_format}，本程序读取格式 "
            f"{expected_format}"
        )
    return manifest
