"""Errors raised by the learned parts (``models/``) and the artifacts they write.

::

    ModelError                     base of everything raised on purpose here
    ├── InputError (ValueError)    a frame lacks a column or holds a value outside its vocabulary
    └── ArtifactError              a saved model directory is missing, damaged or of another format

Messages name the field (or path), the value received and what is allowed,
in English and Chinese. They never quote personal data: only column names,
codes and file paths appear in them. ``service/`` turns these into HTTP or
CLI errors; nothing below it does.
"""

from __future__ import annotations

__all__ = ["ModelError", "InputError", "ArtifactError"]


class ModelError(Exception):
    """Base class of the errors raised by ``models/``."""


class InputError(ModelError, ValueError):
    """A frame given to a model lacks a column or holds a value that is not allowed."""


class ArtifactError(ModelError):
    """A saved artifact directory is missing, damaged or of a format this program cannot read."""
