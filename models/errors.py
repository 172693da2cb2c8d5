"""Errors raised by the learned parts (``models/``): classes of the project's one tree (:mod:`store.errors`).

::

    ModelError                     marker of everything raised on purpose here
    ├── InputError                 a frame lacks a column or holds a value outside its vocabulary ("input")
    └── ArtifactError              a saved model directory is missing, damaged or of another format ("not_ready")

Messages name the field (or path), the value received and what is allowed,
in English and Chinese. They never quote personal data.
"""

from __future__ import annotations

from store import errors as _tree

__all__ = ["ModelError", "InputError", "ArtifactError"]


class ModelError(_tree.AppError):
    """Marker of the errors raised by ``models/``."""


class InputError(ModelError, _tree.InputError):
    """A frame given to a model lacks a column or holds a value that is not allowed."""


class ArtifactError(ModelError, _tree.NotReadyError):
    """A saved artifact directory is missing, damaged or of a format this program cannot read."""

    default_code = "artifact_unusable"
