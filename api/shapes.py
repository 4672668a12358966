"""Each output shape is declared once, as a DRF serializer; its fast output and its columns
are derived from that declaration.

The serializer's fields are what the OpenAPI schema documents. DRF's generic
`Serializer.to_representation` (a `get_attribute` and a `to_representation` call per
field, through a try/except) cost more than the queries behind a page of 100 rows
(bench/api.py), so a serializer that mixes in `FastOutput` shows its instances through
`compiled_output`: a list of (key, getter) pairs read once per class from its own bound
fields, applied by one dict comprehension per row.

- the key is the field's name; the getter reads the field's `source` (dotted, as DRF
  reads it) with `operator.attrgetter`;
- None shows as None without conversion, as in DRF;
- a field whose DRF conversion gives back what the model holds (`CharField`,
  `IntegerField`, `BooleanField`, and `ListField`s of them) shows the value as read; any
  other field converts with its own `to_representation` (datetimes, star ratings); a
  nested serializer with its own compiled output.

`output_columns(serializer)` lists the model columns those sources read, as a selector's
`.only(...)` takes them: a field that is no model field (an annotation, an attribute a
selector sets) reads no column; a nested serializer on a foreign key brings its own,
prefixed `<relation>__`. So a field added to a serializer reaches the schema, the answer
and the query at once.

Limits, checked when a shape is compiled (TypeError): the instance is an object, read by
attribute, not a dict; no field may need the serializer's context or call a method
(`SerializerMethodField`, related and hyperlinked fields). api/tests/test_shapes.py
checks that the compiled output equals DRF's own for every shape that uses it.
"""

import functools
from collections.abc import Callable, Iterator
from operator import attrgetter

from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers

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
    pairs = [(name, _getter(field)) for name, field in _readable_fields(serializer_class)]

    def output(instance) -> dict:
        return {name: get(instance) for name, get in pairs}

    output.__qualname__ = f"compiled_output({serializer_class.__name__})"
    return output


def output_columns(serializer_class, *, model=None) -> tuple[str, ...]:
    """The columns of `model` (default: the serializer's `Meta.model`) that the serializer's
    output reads, for `.only(...)`. Raises TypeError for a source across a many-valued
    relation, which `.only()` cannot load."""
    return _output_columns(serializer_class, model or serializer_class.Meta.model)


@functools.cache
def _output_columns(serializer_class, model) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_columns(serializer_class, model, prefix="")))


def _readable_fields(serializer_class) -> list[tuple[str, serializers.Field]]:
    # `.fields` binds each field to the serializer, which sets `source` and `source_attrs`.
    fields = serializer_class().fields
    return [(name, field) for name, field in fields.items() if not field.write_only]


def _itself(instance):
    return instance


def _getter(field) -> Callable[[object], object]:
    read = _itself if field.source == "*" else attrgetter(field.source)
    convert = _converter(field)
    if convert is None:
        return read

    def get(instance):
        value = read(instance)
        return None if value is None else convert(value)

    return get


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
    return field.to_representation


def _columns(serializer_class, model, prefix: str) -> Iterator[str]:
    for _, field in _readable_fields(serializer_class):
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if field.source == "*":
            if isinstance(nested, serializers.BaseSerializer):
                yield from _columns(type(nested), model, prefix)
            continue
        current, path = model, []
        for position, name in enumerate(field.source_attrs):
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
            if position < len(field.source_attrs) - 1:
                current = model_field.related_model
            elif isinstance(nested, serializers.BaseSerializer):
                yield from _columns(type(nested), model_field.related_model, prefix + "__".join(path) + "__")
            else:
                yield prefix + "__".join(path)
