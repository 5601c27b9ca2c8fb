"""pandas DataFrames to and from the C++ Table (docs/python.md, "DataFrames").

A DataFrame is reduced to one tuple per column that the extension turns into
a quilt::Column: numpy memory is viewed, not copied (the Column holds the
array); masks and NaT become validity bitmaps; object columns of str are
encoded in C++ from each str's own UTF-8. The index becomes columns plus
pyarrow's `pandas` metadata, which the Parquet writer stores as given and the
reader hands back, so index, names and dtypes come back exactly.
"""

import json

import numpy as np
import pandas as pd

from . import _quiltcpp
from .exceptions import InvalidArgumentError

_NULLABLE_INT = {
    "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64",
}


def _tz_name(tz):
    """pyarrow's spelling of a time zone: its name, or +HH:MM for a fixed offset."""
    zone = getattr(tz, "zone", None)
    if zone:
        return zone
    key = getattr(tz, "key", None)
    if key:
        return key
    name = str(tz)
    if name == "UTC":
        return name
    offset = tz.utcoffset(None)
    if offset is None:
        return name
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_EPOCH_ORDINAL = 719163  # datetime.date(1970, 1, 1).toordinal()


def _object_kind(array):
    """What an object column holds, judged by its first non-null values: "boolean",
    "date" (datetime.date objects) or anything else (str and bytes, checked in C++)."""
    sample = array[:64]
    held = pd.api.types.infer_dtype(sample, skipna=True)
    if held in ("boolean", "date") and pd.api.types.infer_dtype(array, skipna=True) == held:
        return held
    return "other"


def _column_spec(name, values, field):
    """The extension's tuple for one column and its entry in pandas' metadata."""
    dtype = values.dtype
    meta = None
    if isinstance(dtype, pd.CategoricalDtype):
        codes = np.ascontiguousarray(values.codes)
        categories, _ = _column_spec(name, pd.Index(values.categories).array, field)
        spec = ("dictionary", field, codes, categories, bool(dtype.ordered))
        meta = {"num_categories": len(values.categories), "ordered": bool(dtype.ordered)}
        return spec, ("categorical", str(codes.dtype), meta)
    if isinstance(dtype, pd.DatetimeTZDtype):
        data = np.ascontiguousarray(values.asi8)
        tz = _tz_name(dtype.tz)
        return ("timestamp", field, data, tz), ("datetimetz", "datetime64[ns]", {"timezone": tz})
    if isinstance(dtype, pd.StringDtype):
        data = np.ascontiguousarray(np.asarray(values, dtype=object))
        return ("strings", field, data), ("unicode", "string", None)
    if isinstance(dtype, pd.BooleanDtype):
        return (("bool", field, np.ascontiguousarray(values._data), np.ascontiguousarray(values._mask)),
                ("bool", "boolean", None))
    if str(dtype) in _NULLABLE_INT:
        data = np.ascontiguousarray(values._data)
        return (("numeric", field, data, np.ascontiguousarray(values._mask)),
                (str(data.dtype), str(dtype), None))
    array = np.asarray(values)
    kind = array.dtype.kind
    if kind == "b":
        return ("bool", field, np.ascontiguousarray(array), None), ("bool", "bool", None)
    if kind in "iu" or (kind == "f" and array.dtype.itemsize in (4, 8)):
        name_ = str(array.dtype)
        return ("numeric", field, np.ascontiguousarray(array), None), (name_, name_, None)
    if kind == "M":
        if array.dtype != np.dtype("datetime64[ns]"):
            array = array.astype("datetime64[ns]")
        return (("timestamp", field, np.ascontiguousarray(array).view("int64"), ""),
                ("datetime", "datetime64[ns]", None))
    if kind == "O":
        held = _object_kind(array)
        if held == "boolean":
            mask = np.asarray(pd.isna(array))
            values = np.where(mask, False, array).astype(bool)
            return ("bool", field, values, mask if mask.any() else None), ("bool", "object", None)
        if held == "date":
            mask = np.asarray(pd.isna(array))
            days = np.array([0 if m else d.toordinal() - _EPOCH_ORDINAL
                             for d, m in zip(array, mask)], dtype="int32")
            return ("date32", field, days, mask if mask.any() else None), ("date", "object", None)
        return ("strings", field, np.ascontiguousarray(array)), ("unicode", "object", None)
    raise InvalidArgumentError(f"column {name!r}: dtype {dtype} cannot be stored in a table")


def _field_meta(name, field, types):
    pandas_type, numpy_type, metadata = types
    return {"name": name, "field_name": field, "pandas_type": pandas_type,
            "numpy_type": numpy_type, "metadata": metadata}


def frame_to_table(df, with_index=True):
    """Return a _quiltcpp.Table of `df`'s columns (and index, with pyarrow's metadata)."""
    if not isinstance(df.columns, pd.MultiIndex) and df.columns.has_duplicates:
        raise InvalidArgumentError("DataFrame has duplicate column names; they cannot be stored")
    if isinstance(df.columns, pd.MultiIndex):
        raise InvalidArgumentError("DataFrames with MultiIndex columns cannot be stored yet")
    specs, columns_meta, index_columns = [], [], []
    column_names = [name if isinstance(name, str) else str(name) for name in df.columns]
    for i, name in enumerate(column_names):
        spec, types = _column_spec(name, df.iloc[:, i].array, name)
        specs.append(spec)
        label = df.columns[i]
        # pyarrow's rule: the field is str(label); the metadata keeps a None label.
        columns_meta.append(_field_meta(None if label is None else name, name, types))
    index = df.index
    if with_index:
        if isinstance(index, pd.RangeIndex):
            index_columns.append({"kind": "range", "name": index.name, "start": int(index.start),
                                  "stop": int(index.stop), "step": int(index.step)})
        else:
            for level in range(index.nlevels):
                values = index.get_level_values(level)
                name = index.names[level]
                field = name if isinstance(name, str) and name not in column_names \
                    else f"__index_level_{level}__"
                spec, types = _column_spec(field, values.array, field)
                specs.append(spec)
                columns_meta.append(_field_meta(name, field, types))
                index_columns.append(field)
    columns_index = df.columns
    if len(columns_index) and pd.api.types.is_integer_dtype(columns_index.dtype):
        column_index_meta = {"name": columns_index.name, "field_name": columns_index.name,
                             "pandas_type": "int64", "numpy_type": "int64", "metadata": None}
    else:
        column_index_meta = {"name": columns_index.name, "field_name": columns_index.name,
                             "pandas_type": "unicode", "numpy_type": "object",
                             "metadata": {"encoding": "UTF-8"}}
    metadata = {
        "index_columns": index_columns,
        "column_indexes": [column_index_meta],
        "columns": columns_meta,
        "creator": {"library": "quiltcpp", "version": _quiltcpp.__version__},
        "pandas_version": pd.__version__,
    }
    text = json.dumps(metadata, separators=(",", ":")) if with_index else ""
    return _quiltcpp.Table(specs, text, len(df))


def _tzinfo(name):
    """The tzinfo pandas (and pyarrow) make of a zone name; +HH:MM as pytz.FixedOffset."""
    if len(name) == 6 and name[0] in "+-" and name[3] == ":" and name[1:3].isdigit() \
            and name[4:].isdigit():
        import pytz
        minutes = int(name[1:3]) * 60 + int(name[4:])
        return pytz.FixedOffset(-minutes if name[0] == "-" else minutes)
    return name


_UNIT_FACTOR = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def _to_pandas(spec, meta):
    """A pandas array (or numpy array) for one column the extension described."""
    kind = spec[0]
    numpy_type = (meta or {}).get("numpy_type")
    if kind == "numeric":
        values, valid = spec[2], spec[3]
        if numpy_type in _NULLABLE_INT:
            mask = np.zeros(len(values), dtype=bool) if valid is None else ~valid
            return pd.array(np.array(values), dtype=numpy_type) if valid is None else \
                pd.arrays.FloatingArray(np.array(values), mask) if numpy_type.startswith("Float") \
                else pd.arrays.IntegerArray(np.array(values), mask)
        if valid is None:
            return values
        # pandas (and pyarrow) hold nulls of a numpy column as NaN.
        out = values.copy() if values.dtype.kind == "f" else values.astype("float64")
        out[~valid] = np.nan
        return out
    if kind == "bool":
        values, valid = spec[2], spec[3]
        if numpy_type == "boolean":
            return pd.arrays.BooleanArray(values, np.zeros(len(values), bool) if valid is None
                                          else ~valid)
        if valid is None and numpy_type != "object":
            return values
        out = values.astype(object)  # bools with nulls (pyarrow's), or an object column
        if valid is not None:
            out[~valid] = None
        return out
    if kind == "timestamp":
        values, unit, tz, valid = spec[2], spec[3], spec[4], spec[5]
        if unit != "ns":
            values = values * _UNIT_FACTOR[unit]
        stamps = values.view("datetime64[ns]")
        if valid is not None:
            stamps = stamps.copy()
            stamps[~valid] = np.datetime64("NaT")
        if tz:
            return pd.arrays.DatetimeArray(stamps, dtype=pd.DatetimeTZDtype(tz=_tzinfo(tz)))
        return np.array(stamps)
    if kind == "date32":
        values, valid = spec[2], spec[3]
        out = values.astype("datetime64[D]").astype(object)
        if valid is not None:
            out[~valid] = None
        return out
    if kind in ("string", "binary"):
        if numpy_type == "string":
            return pd.array(spec[2], dtype="string")
        return spec[2]
    if kind == "dictionary":
        categories = _to_pandas(spec[3], None)
        return pd.Categorical.from_codes(spec[2], categories=pd.Index(categories),
                                         ordered=spec[4])
    raise InvalidArgumentError(f"column {spec[1]!r}: unknown kind {kind}")


def _categorical_of_values(spec, column_meta):
    """A categorical the reader gave back as plain values (categories it cannot
    keep as codes: booleans, bytes, INT96 timestamps): sorted categories of the
    values present, as pandas.Categorical(values) makes them."""
    values = _to_pandas(spec[:-1] + (None,), None)  # without the validity
    valid = spec[-1]
    present = values if valid is None else values[valid]
    categories = np.unique(present)
    codes = np.searchsorted(categories, values).astype("int64")
    if valid is not None:
        codes[~valid] = -1
    ordered = bool((column_meta.get("metadata") or {}).get("ordered", False))
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories), ordered=ordered)


def table_to_frame(described):
    """Make a DataFrame of what _quiltcpp returns for a table (columns, pandas json, rows)."""
    columns, pandas_json, num_rows = described
    meta = None
    if pandas_json:
        try:
            meta = json.loads(pandas_json)
        except ValueError:
            meta = None
    by_field = {}
    if meta:
        for column_meta in meta.get("columns", []):
            by_field[column_meta.get("field_name")] = column_meta
    arrays = {}
    for spec in columns:
        column_meta = by_field.get(spec[1])
        if (column_meta and column_meta.get("pandas_type") == "categorical"
                and spec[0] in ("numeric", "timestamp")):
            arrays[spec[1]] = _categorical_of_values(spec, column_meta)
        else:
            arrays[spec[1]] = _to_pandas(spec, column_meta)
    index_columns = meta.get("index_columns", []) if meta else []
    index_fields = {c for c in index_columns if isinstance(c, str)}
    data_fields = [spec[1] for spec in columns if spec[1] not in index_fields]
    names = [by_field.get(f, {}).get("name", f) for f in data_fields]
    df = pd.DataFrame({i: arrays[f] for i, f in enumerate(data_fields)}, index=range(num_rows))
    column_indexes = meta.get("column_indexes") if meta else None
    columns_name = None
    if column_indexes:
        columns_name = column_indexes[0].get("name")
        if column_indexes[0].get("pandas_type") == "int64":
            names = [int(n) for n in names]
    if names:
        df.columns = pd.Index(names, name=columns_name)
    else:
        df.columns = pd.Index([], dtype=object, name=columns_name)
    levels, level_names = [], []
    for index_column in index_columns:
        if isinstance(index_column, dict):
            if index_column.get("kind") == "range":
                df.index = pd.RangeIndex(index_column["start"], index_column["stop"],
                                         index_column["step"], name=index_column.get("name"))
            continue
        levels.append(arrays[index_column])
        level_names.append(by_field.get(index_column, {}).get("name"))
    if len(levels) == 1:
        df.index = pd.Index(levels[0], name=level_names[0])
    elif levels:
        df.index = pd.MultiIndex.from_arrays(levels, names=level_names)
    return df
