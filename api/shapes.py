"""Each output shape is declared once, as a DRF serializer; its fast output and the columns
it reads are derived from that declaration.

The serializer's fields are what the OpenAPI schema documents. DRF's generic
`Serializer.to_representation` (a `get_attribute` and a `to_representation` call per field,
through a try/except) costs more than the queries behind a page of 100 rows (bench/api.py),
so a serializer that mixes in `FastOutput` shows its instances through `compiled_output`: a
function written once per class from the class's own bound fields, the same as one written
by hand, one dict display per row:

    def output(instance):
        return {
            'id': instance.id,
            'movie': None if (value := instance.movie) is None else convert_0(value),
            'created_at': None if (value := instance.created_at) is None else convert_1(value),
            ...
        }

- each key is a field's name, read from the field's `source` as DRF reads it (dotted);
- None shows as None without conversion, as in DRF;
- a field whose DRF conversion gives back what the model holds (`CharField`,
  `IntegerField`, `BooleanField`, and `ListField`s of them) shows the value as read; an
  aware datetime of a field with its own time zone (api/serializers.py) is converted as DRF
  would, without DRF's per-call lookups; any other converts with its own
  `to_representation` (star ratings, naive datetimes), a nested serializer with its own
  compiled output.

The function is generated as source text (as `dataclasses` does) from names in our own
serializers, never from input; `compiled_output(Shape).source` shows it.

`output_columns(serializer)` lists the model columns those sources read, as a selector's
`.only(...)` takes them: a field that is no model field (an annotation, an attribute a
selector sets) reads no column; a nested serializer on a foreign key brings its own,
prefixed `<relation>__`. So a field added to a serializer reaches the schema, the answer
and the query at once.

Limits: the instance is an object, read by attribute, not a dict; a source names
attributes, not methods (DRF would call a method); no field may need the serializer
(`SerializerMethodField`, related and hyperlinked fields: a TypeError when compiled).
movie_module/tests/test_output_shapes.py checks that every FastOutput shape shows exactly
what DRF itself would, and that the derived columns cover what each selector's rows show.
"""

import datetime
import functools
import keyword
from collections.abc import Callable, Iterator

from django.core.exceptions import FieldDoesNotExist
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

# DRF's conversions that give back the value itself when the model holds the wire type:
# str for CharField (and its subclasses that keep its conversion), int, bool.
_CONVERSIONS_THAT_KEEP_THE_VALUE = {
    serializers.CharField.to_representation,
    serializers.IntegerField.to_representation,
    serializers.BooleanField.to_representation,
}

_FIELDS_THAT_NEED_THE_SERIALIZER = (
    serializers.SerializerMethodField,
    serializers.RelatedField,
    serializers.ManyRelatedField,
)


# Mixed into a Serializer (first): its output compiled once from its own fields. (No
# docstring: drf-spectacular would show it as every such component's description.)
class FastOutput:
    def to_representation(self, instance):
        return compiled_output(type(self))(instance)


@functools.cache
def compiled_output(serializer_class) -> Callable[[object], dict]:
    """A function showing an instance as `serializer_class` declares: {field name: value}."""
    converters, entries = {}, []
    for name, field in _readable_fields(serializer_class):
        path = _source_path(field)
        if not all(attr.isidentifier() and not keyword.iskeyword(attr) for attr in path):
            raise TypeError(f"`{field.source}` of {serializer_class.__name__} is not a path of attributes.")
        value = ".".join(["instance", *path])
        convert = _converter(field)
        if convert is None:
            entries.append(f"{name!r}: {value}")
        else:
            converter = converters[convert] = f"convert_{len(converters)}"
            entries.append(f"{name!r}: None if (value := {value}) is None else {converter}(value)")
    # One dict display, as a hand-written function builds it: a (key, getter) pair per field,
    # called in a loop, took 5 to 50 % longer per page of 100 rows than the functions this
    # replaced.
    lines = ["def output(instance):", "    return {", *(f"        {entry}," for entry in entries), "    }"]
    source = "\n".join(lines) + "\n"
    namespace = {converter: convert for convert, converter in converters.items()}
    exec(compile(source, f"<compiled_output({serializer_class.__qualname__})>", "exec"), namespace)
    output = namespace["output"]
    output.source = source
    return output


@functools.cache
def compiled_row_output(
    serializer_class, prefix: str = "", annotations: tuple = ()
) -> Callable[[dict], dict]:
    """Like `compiled_output`, for a `values()` row instead of an instance: each field reads
    the row's column named by its source under `prefix` (`review__movie__title`), a nested
    serializer the columns under its own prefix (the related row must be there).
    `annotations`, pairs (field name, row key), name the keys of fields that are no columns
    (`("like_count", "review_like_count")`), or for a nested serializer either the prefix of
    its columns when they are elsewhere in the row (`("user", "user__")`) or the key of a
    value shown as it is (`("me", "me")`)."""
    renamed = dict(annotations)
    converters, entries = {}, []
    for name, field in _readable_fields(serializer_class):
        path = "__".join(_source_path(field))
        nested_shape = isinstance(field, serializers.BaseSerializer) and not isinstance(
            field, serializers.ListSerializer
        )
        if nested_shape and name in renamed and not renamed[name].endswith("__"):
            entries.append(f"{name!r}: row[{renamed[name]!r}]")
            continue
        if nested_shape:
            nested = compiled_row_output(type(field), renamed.get(name, f"{prefix}{path}__"))
            converter = converters[nested] = f"convert_{len(converters)}"
            entries.append(f"{name!r}: {converter}(row)")
            continue
        value = f"row[{renamed.get(name, prefix + path)!r}]"
        convert = _converter(field)
        if convert is None:
            entries.append(f"{name!r}: {value}")
        else:
            converter = converters[convert] = f"convert_{len(converters)}"
            entries.append(f"{name!r}: None if (value := {value}) is None else {converter}(value)")
    lines = ["def output(row):", "    return {", *(f"        {entry}," for entry in entries), "    }"]
    source = "\n".join(lines) + "\n"
    namespace = {converter: convert for convert, converter in converters.items()}
    exec(compile(source, f"<compiled_row_output({serializer_class.__qualname__})>", "exec"), namespace)
    output = namespace["output"]
    output.source = source
    return output


def output_columns(serializer_class, *, model=None) -> tuple[str, ...]:
    """The columns of `model` (default: the serializer's `Meta.model`) that the serializer's
    output reads, for `.only(...)`. Raises TypeError for a source across a many-valued
    relation, which `.only()` cannot load."""
    return _output_columns(serializer_class, model or serializer_class.Meta.model)


@functools.cache
def _output_columns(serializer_class, model) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_columns(serializer_class, model, prefix="")))


def field_output(field) -> Callable[[object], object]:
    """How `field` shows a value (not None), as a FastOutput shape shows it: DRF's output."""
    convert = _converter(field)
    return (lambda value: value) if convert is None else convert


def _readable_fields(serializer_class) -> list[tuple[str, serializers.Field]]:
    # `.fields` binds each field to the serializer, which sets its `source`.
    fields = serializer_class().fields
    return [(name, field) for name, field in fields.items() if not field.write_only]


def _source_path(field) -> list[str]:
    """The attributes a bound field reads, outermost first; [] for `source="*"` (the instance)."""
    return [] if field.source == "*" else field.source.split(".")


def _converter(field) -> Callable[[object], object] | None:
    """How a field shows the value read; None when it shows it as it is."""
    if isinstance(field, _FIELDS_THAT_NEED_THE_SERIALIZER):
        raise TypeError(
            f"{type(field).__name__} `{field.field_name}` of {type(field.parent).__name__} "
            "needs the serializer at output time; a FastOutput shape cannot hold it."
        )
    if isinstance(field, serializers.ListSerializer):
        show = _converter(field.child)
        return lambda items: [show(item) for item in items]
    if isinstance(field, serializers.BaseSerializer):
        return compiled_output(type(field)) if isinstance(field, FastOutput) else field.to_representation
    if isinstance(field, serializers.ListField):
        show = _converter(field.child)
        if show is None:
            return None
        return lambda items: [None if item is None else show(item) for item in items]
    if type(field).to_representation in _CONVERSIONS_THAT_KEEP_THE_VALUE:
        return None
    if _is_iso_datetime_in_its_own_zone(field):
        return _iso_datetime(field)
    if type(field).to_representation is serializers.BigIntegerField.to_representation and not getattr(
        field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING
    ):
        return None  # an int, unless settings ask for strings
    return field.to_representation


def _is_iso_datetime_in_its_own_zone(field) -> bool:
    """A DateTimeField shown in ISO 8601, with a time zone of its own (api/serializers.py)."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (
        type(field).to_representation is serializers.DateTimeField.to_representation
        and type(field).enforce_timezone is serializers.DateTimeField.enforce_timezone
        and getattr(field, "timezone", None) is not None
        and isinstance(output_format, str)
        and output_format.lower() == ISO_8601
    )


def _iso_datetime(field) -> Callable[[object], object]:
    """DRF's conversion of an aware datetime, `astimezone(field.timezone)` in ISO 8601 with "Z"
    for UTC, without its checks; anything else (naive, out of range) goes through DRF's own."""
    zone, shown_by_drf = field.timezone, field.to_representation

    def show(value):
        if value.__class__ is datetime.datetime and value.utcoffset() is not None:
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return shown_by_drf(value)
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return shown_by_drf(value)

    return show


def _columns(serializer_class, model, prefix: str) -> Iterator[str]:
    for _, field in _readable_fields(serializer_class):
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if field.source == "*":
            if isinstance(nested, serializers.BaseSerializer):
                yield from _columns(type(nested), model, prefix)
            continue
        attrs, current, path = _source_path(field), model, []
        for position, name in enumerate(attrs):
            try:
                model_field = current._meta.get_field(name)
            except FieldDoesNotExist:
                break  # an annotation, or an attribute a selector sets: no column
            path.append(name)
            if not model_field.is_relation:
                yield prefix + "__".join(path)
                break
            if model_field.many_to_many or model_field.one_to_many or not model_field.concrete:
                raise TypeError(
                    f"`{field.source}` of {serializer_class.__name__} crosses the many-valued "
                    f"relation `{name}`, which .only() cannot load."
                )
            if position < len(attrs) - 1:
                current = model_field.related_model
            elif isinstance(nested, serializers.BaseSerializer):
                yield from _columns(type(nested), model_field.related_model, prefix + "__".join(path) + "__")
            else:
                yield prefix + "__".join(path)
