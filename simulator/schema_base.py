"""Building blocks shared by every part of the scenario schema."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(ge=0, le=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class ScenarioError(Exception):
    """A scenario problem with the path of the key at fault, e.g. ("agents", 0, "serves", 1).

    Deliberately not a ValueError: pydantic lets it through unchanged, keeping the path.
    """

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def revised(model: BaseModel, **changes) -> BaseModel:
    """`model` with some fields changed, validated again (its validators included), keeping
    which fields the file set, so a dump with exclude_unset still writes only those. Nested
    models are passed through as they are: they were validated when they were made."""
    return type(model).model_validate({name: getattr(model, name) for name in model.model_fields_set} | changes)
