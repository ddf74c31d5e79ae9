"""The field types the plan and its records share, and the strict base model."""

from __future__ import annotations

import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .defaults import MAX_DAYS, MAX_MONEY

Id = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="A short identifier (letters, digits, '-', '_', '.'), unique in its list.",
    ),
]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Money = Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False)]
Days = Annotated[float, Field(ge=0, le=MAX_DAYS, allow_inf_nan=False)]


class Strict(BaseModel):
    """Unknown fields are errors: a typo must not silently drop a number."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def empty_lists(cls, data: Any) -> Any:
        """`risks:` with every entry commented out is an empty list, not an error."""
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                key = field.alias or name
                if data.get(key, ...) is None and typing.get_origin(field.annotation) in (
                    list,
                    dict,
                ):
                    data = {**data, key: field.get_default(call_default_factory=True)}
        return data
