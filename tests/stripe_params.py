"""Stripe's parameter rules for the stand-in, read from the request TypedDicts the stripe SDK ships.

stripe-python (16.x: ``stripe.params``) types every request's parameters from
Stripe's OpenAPI spec: names, nesting, which are required, integers, booleans,
lists, and enums (``Literal[...]``, written ``Literal[...]|str`` so that an older
SDK accepts a newer value: the API itself refuses a value outside the enum, and
so does :func:`check`). An empty string is "unset", allowed only where the type
says ``Literal['']``; metadata values may be empty (that unsets a key).

:func:`check` walks a decoded form body (strings, dicts, lists, as
:func:`stripe_server.decode_form` makes them) against a params class and
answers what Stripe answers: 400 ``parameter_unknown``, ``parameter_missing``,
``parameter_invalid_empty``, ``parameter_invalid_integer``, and Stripe's
messages for enums, booleans and shapes. It returns the body with empty
metadata values dropped.
"""

from __future__ import annotations

import functools
import re
import sys
import types
import typing
from decimal import Decimal
from typing import Any, ForwardRef, Literal, Union, get_args, get_origin

from typing_extensions import is_typeddict

from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject

_OPTIONS = frozenset(RequestOptions.__annotations__)  # request options, not parameters
_WRAPPERS = (typing.NotRequired, typing.Required)


class ParamError(Exception):
    """A refusal: ``message``, ``param``, ``code`` (None for the messages Stripe gives without one)."""

    def __init__(self, message: str, param: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


def check(params: dict[str, Any], params_class: type) -> dict[str, Any]:
    """``params`` as Stripe would take them for ``params_class``, or :class:`ParamError`."""
    return _object(params, params_class, "", top=True)


@functools.lru_cache(maxsize=None)
def fields(params_class: type, top: bool = False) -> tuple[dict[str, Any], frozenset[str]]:
    """A TypedDict's parameters (name → resolved type) and its required names."""
    namespace = sys.modules[params_class.__module__].__dict__
    hints = {name: _resolve(hint, namespace) for name, hint in params_class.__annotations__.items()
             if not (top and name in _OPTIONS)}
    return hints, frozenset(params_class.__required_keys__) - (_OPTIONS if top else frozenset())


def enum(params_class: type, name: str) -> tuple[str, ...]:
    """The values of an enum parameter (``locale`` of ``SessionCreateParams``, …)."""
    hint = fields(params_class, top=True)[0][name]
    return tuple(value for alternative in _alternatives(hint) if get_origin(alternative) is Literal
                 for value in get_args(alternative) if value != "")


def _resolve(hint: Any, namespace: dict) -> Any:
    """The type behind ``hint``: strings and forward references evaluated, NotRequired/Required unwrapped."""
    if isinstance(hint, str):
        hint = eval(hint, namespace)  # noqa: S307 - the SDK's own annotations
    if isinstance(hint, ForwardRef):
        hint = eval(hint.__forward_arg__, namespace)  # noqa: S307
    if get_origin(hint) in _WRAPPERS:
        return _resolve(get_args(hint)[0], namespace)
    origin = get_origin(hint)
    if origin is Literal or origin is None:
        return hint
    args = tuple(_resolve(arg, namespace) for arg in get_args(hint))
    if origin in (Union, types.UnionType):
        return Union[args]
    if origin is list:
        return typing.List[args[0]]
    if origin is dict:
        return typing.Dict[args[0], args[1]]
    return hint


def _alternatives(hint: Any) -> tuple[Any, ...]:
    return get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)


def _value(value: Any, hint: Any, name: str) -> Any:
    alternatives = _alternatives(hint)
    unsettable = any(get_origin(a) is Literal and "" in get_args(a) for a in alternatives)
    if value == "":
        if unsettable:
            return value
        raise ParamError(f"You passed an empty string for '{name}'. We assume empty values are an attempt to "
                         f"unset a parameter; however '{name}' cannot be unset. You should remove '{name}' from "
                         "your request or supply a non-empty value.", name, "parameter_invalid_empty")
    alternatives = tuple(a for a in alternatives if not (get_origin(a) is Literal and get_args(a) == ("",)))
    literals = [v for a in alternatives if get_origin(a) is Literal for v in get_args(a) if v != ""]
    if literals:  # ``Literal[...]|str``: the SDK's open enum; the API's is closed
        if value in literals:
            return value
        others = tuple(a for a in alternatives if not (a is str or get_origin(a) is Literal))
        for alternative in others:  # ``bool|Literal['one_off', 'recurring']``: "true" is a boolean
            try:
                return _one(value, alternative, name)
            except ParamError:
                pass
        listed = ", ".join(literals[:-1]) + (", or " if len(literals) > 1 else "") + literals[-1]
        raise ParamError(f"Invalid {name}: must be one of {listed}", name)
    first: ParamError | None = None
    for alternative in alternatives:
        try:
            return _one(value, alternative, name)
        except ParamError as error:
            first = first or error
    raise first or ParamError(f"Invalid value for {name}.", name)


def _one(value: Any, hint: Any, name: str) -> Any:
    origin = get_origin(hint)
    if hint is Any:
        return value
    if is_typeddict(hint):
        if not isinstance(value, dict):
            raise ParamError(f"Invalid object: {name} must be a hash.", name)
        return _object(value, hint, name)
    if origin is list:
        if not isinstance(value, list):
            raise ParamError(f"Invalid array: {name} must be an array.", name)
        return [_value(item, get_args(hint)[0], f"{name}[{i}]") for i, item in enumerate(value)]
    if origin is dict or origin is UntypedStripeObject or hint is UntypedStripeObject:
        if not isinstance(value, dict):
            raise ParamError(f"Invalid object: {name} must be a hash.", name)
        if not all(isinstance(v, str) for v in value.values()):
            raise ParamError(f"Invalid {name}: its values must be strings.", name)
        return {key: item for key, item in value.items() if item != ""}  # metadata: "" unsets a key
    if not isinstance(value, str):
        raise ParamError(f"Invalid {name}: a {getattr(hint, '__name__', hint)} was expected, not a hash or an "
                         "array.", name)
    if hint is bool:
        if value not in ("true", "false"):
            raise ParamError(f"Invalid boolean: {value}", name)
    elif hint is int:
        if not re.fullmatch(r"-?\d+", value):
            raise ParamError(f"Invalid integer: {value}", name, "parameter_invalid_integer")
    elif hint in (float, Decimal):
        if not re.fullmatch(r"-?\d+(\.\d+)?", value):
            raise ParamError(f"Invalid decimal: {value}", name)
    return value


def _object(value: dict[str, Any], params_class: type, prefix: str, top: bool = False) -> dict[str, Any]:
    hints, required = fields(params_class, top)
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key not in hints:
            raise ParamError(f"Received unknown parameter: {name}", name, "parameter_unknown")
        out[key] = _value(item, hints[key], name)
    for key in sorted(required - set(value)):
        name = f"{prefix}[{key}]" if prefix else key
        raise ParamError(f"Missing required param: {name}.", name, "parameter_missing")
    return out
