"""A problem in a file an administrator edits, named by its place in the file; and the few pieces
that let pydantic models read such files and report every problem as one.

A model reports a problem by raising :func:`problem` (our code and params, no English: the
templates word it); :func:`file_errors` turns pydantic's report into our list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, NoReturn, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    WrapValidator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

T = TypeVar("T")
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class FileError:
    """One problem, named by its place in the file (e.g. `indicators[2].type`)."""

    path: str
    code: str
    params: dict[str, str] = field(default_factory=dict)


def file_errors(exc: ValidationError, *prefix: str | int) -> list[FileError]:
    """pydantic's report as ours: loc ("indicators", 2, "type") is `indicators[2].type`, the error
    type is our code and its context our params."""
    return [
        FileError(
            _path((*prefix, *error["loc"])),
            error["type"],
            {key: str(value) for key, value in (error.get("ctx") or {}).items()},
        )
        for error in exc.errors(include_url=False)
    ]


def _path(loc: Loc) -> str:
    return "".join(
        f"[{part}]" if isinstance(part, int) else (f".{part}" if i else part)
        for i, part in enumerate(loc)
    )


def problem(code: str, **params: str) -> PydanticCustomError:
    """A problem with the value being validated; raise it from a validator."""
    return PydanticCustomError(code, code, {key: _encodable(v) for key, v in params.items()})


def _encodable(text: str) -> str:
    """A TOML string may hold a lone surrogate (\\ud800), which pydantic cannot carry in an
    error (it must encode it as UTF-8): such a character is quoted as its escape instead."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def at(loc: Loc, code: str, **params: str) -> InitErrorDetails:
    """A problem at `loc` below the value being validated, for :func:`validated` or :func:`fail`."""
    return InitErrorDetails(type=problem(code, **params), loc=loc, input=None)


def fail(found: list[InitErrorDetails]) -> NoReturn:
    """Raise several problems at once (pydantic adds them to what it found elsewhere)."""
    raise ValidationError.from_exception_data("file", found)


def validated(handler: Callable[[Any], T], data: Any, found: list[InitErrorDetails]) -> T:
    """handler(data), reporting `found` together with whatever pydantic finds."""
    try:
        result = handler(data)
    except ValidationError as exc:
        fail([*_details(exc), *found])
    if found:
        fail(found)
    return result


def _details(exc: ValidationError, *prefix: str | int) -> list[InitErrorDetails]:
    return [
        InitErrorDetails(
            type=PydanticCustomError(error["type"], error["msg"], error.get("ctx")),
            loc=(*prefix, *error["loc"]),
            input=error["input"],
        )
        for error in exc.errors(include_url=False)
    ]


def otherwise(code: str, *, value: bool = True, **params: str) -> WrapValidator:
    """Annotation: any failure to validate the value is the one problem `code` (with the value as
    written, and `params`), e.g. a missing name, a bool where a count goes, a misspelt choice."""

    def validate(raw: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            return handler(raw)
        except ValidationError:
            raise problem(code, **({"value": str(raw)} if value else {}), **params) from None

    return WrapValidator(validate)


def table(code: str, *, value: bool = False, and_its_fields: bool = False) -> WrapValidator:
    """Annotation: a value that is not a TOML table is the problem `code`; `and_its_fields` also
    names each field it lacks, as an empty table would."""

    def validate(raw: Any, handler: Callable[[Any], Any]) -> Any:
        if isinstance(raw, dict):
            return handler(raw)
        if not and_its_fields:
            raise problem(code, **({"value": str(raw)} if value else {}))
        return validated(handler, {}, [at((), code)])

    return WrapValidator(validate)


def each(item: Any, *, shown: Callable[[Any], str] = str) -> PlainValidator:
    """Annotation: a list (else `not_a_list`) whose items are read one by one as `item`; an item
    equal to an earlier one is a `duplicate`. Every item's problem is reported at its index."""
    adapter: TypeAdapter[Any] = TypeAdapter(item)

    def validate(raw: Any) -> tuple[Any, ...]:
        if not isinstance(raw, list):
            raise problem("not_a_list")
        found: list[InitErrorDetails] = []
        items: list[Any] = []
        for i, value in enumerate(raw):
            try:
                one = adapter.validate_python(value)
            except ValidationError as exc:
                found += _details(exc, i)
                continue
            if one in items:
                found.append(at((i,), "duplicate", value=shown(one)))
            else:
                items.append(one)
        if found:
            fail(found)
        return tuple(items)

    return PlainValidator(validate)


class FileTable(BaseModel):
    """A table of the file, read-only once read. A key it lacks reads as an empty value (so its
    problem is the one a wrong value gets, e.g. `missing_text`); with `closed`, a key it does not
    declare is an `unknown_key` problem listing the keys it does."""

    model_config = ConfigDict(frozen=True)
    closed: ClassVar[bool] = True

    @model_validator(mode="wrap")
    @classmethod
    def _keys(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        if not isinstance(data, dict):
            return handler(data)
        keys = {
            name: info.validation_alias if isinstance(info.validation_alias, str) else name
            for name, info in cls.model_fields.items()
        }
        lacking = {
            keys[name]: None for name, info in cls.model_fields.items() if info.is_required()
        }
        allowed = ", ".join(keys.values())
        unknown = [key for key in data if cls.closed and key not in keys.values()]
        return validated(
            handler,
            {**lacking, **data},
            [at((key,), "unknown_key", allowed=allowed) for key in unknown],
        )
