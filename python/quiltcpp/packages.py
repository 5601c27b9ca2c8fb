"""quilt3's Package and PackageEntry over the C++ core (docs/python.md).

A Package is mutable, as quilt3's: it wraps a C++ PackageBuilder. Every
change goes to the builder; whatever needs the immutable C++ Package (top
hash, manifest, diff, build, push) calls PackageBuilder::build(), which
hashes what is not hashed yet, and the result is kept until the next change.
"""

import io
import json
import os
import pathlib

from . import _quiltcpp
from ._progress import Bar, total_of
from .exceptions import InvalidArgumentError

_CSV_EXTENSIONS = {"csv": ",", "tsv": "\t", "ssv": ";"}


def _dumps(value):
    """JSON text for the C++ side (Python's own encoder, NaN allowed as quilt3 allows it)."""
    return json.dumps(value)


def _registry(registry):
    return _quiltcpp.Registry(str(registry) if registry is not None else
                              _quiltcpp.default_registry())


def _extension(path):
    name = str(path).rsplit("/", 1)[-1]
    if "." not in name.lstrip("."):
        return ""
    return name.rsplit(".", 1)[-1].lower()


def _walk_order(key):
    # quilt3 walks each directory's children sorted by name.
    return key.split("/")


class PackageEntry:
    """One file of a package: where its bytes are, their size and hash, and its meta."""

    __slots__ = ("_entry", "_package")

    def __init__(self, entry, package=None):
        self._entry = entry  # a _quiltcpp.Entry (a copy: the builder may change)
        self._package = package  # the Package it belongs to, for set_meta

    @property
    def logical_key(self):
        return self._entry.logical_key

    @property
    def physical_key(self):
        """The URL of the bytes (`file:///...` or `s3://...`)."""
        return self._entry.physical_key

    @property
    def size(self):
        if self._entry.hash_value is None and self._entry.local_path is not None:
            return os.path.getsize(self._entry.local_path)  # hashed (and sized) at build
        return self._entry.size

    @property
    def hash(self):
        """`{"type": ..., "value": ...}`, or None for a file not hashed yet."""
        if self._entry.hash_value is None:
            return None
        return {"type": self._entry.hash_type, "value": self._entry.hash_value}

    @property
    def _meta(self):
        meta = json.loads(self._entry.meta_json)
        return meta if isinstance(meta, dict) else {}

    @property
    def meta(self):
        """The entry's user metadata (quilt3's `entry.meta`)."""
        return self._meta.get("user_meta", {})

    def set_meta(self, meta):
        """Replace the entry's user metadata, in its package too."""
        # _package is the owning package: entries carry their full logical keys.
        if self._package is not None and self._package._b.contains(self.logical_key):
            self._package._b.set_entry_meta(self.logical_key, _dumps(meta))
            self._package._changed()
            self._entry = self._package._b.find(self.logical_key)
        else:
            raise InvalidArgumentError("set_meta: the entry belongs to no package")
        return self

    def set(self, path=None, meta=None):
        """Point the entry at another file (a path or URL) and/or replace its user
        meta, in its package too."""
        if self._package is None:
            raise InvalidArgumentError("set: the entry belongs to no package")
        builder = self._package._b
        if path is not None:
            user_meta = meta if meta is not None else self._meta.get("user_meta")
            builder.set_path(self.logical_key, os.fspath(path),
                             "" if user_meta is None else _dumps(user_meta))
        elif meta is not None:
            builder.set_entry_meta(self.logical_key, _dumps(meta))
        self._package._changed()
        self._entry = builder.find(self.logical_key)
        return self

    def _hashed(self):
        """This entry with size and hash (a file set from a path is hashed now)."""
        if self._entry.hash_value is not None:
            return self._entry
        # Only entries set from a path lack a hash; their meta holds no format,
        # so the logical key's extension decides, as for the original entry.
        builder = _quiltcpp.Builder()
        builder.set_path(self.logical_key, self.physical_key, "")
        return builder.build().find(self.logical_key)

    def get(self):
        """The physical key, as quilt3's `entry.get()` returns it."""
        return self.physical_key

    def get_bytes(self, use_cache_if_available=True):
        """The bytes, checked against the entry's hash while read."""
        return self._hashed().deserialize("bytes")[1]

    def get_as_string(self, use_cache_if_available=True):
        return self.get_bytes().decode("utf-8")

    def get_as_json(self, use_cache_if_available=True):
        return json.loads(self.get_bytes())

    def _format(self):
        meta = self._meta
        fmt = meta.get("format")
        name = fmt.get("name") if isinstance(fmt, dict) else None
        name = name or meta.get("target")
        return name or _extension(self.physical_key) or _extension(self.logical_key)

    def deserialize(self, func=None, **format_opts):
        """The object the entry holds (DataFrame, ndarray, objects, str, bytes), or func(bytes)."""
        if func is not None:
            return func(self.get_bytes())
        fmt = self._format()
        if fmt in _CSV_EXTENSIONS or fmt == "csv":
            return self._read_csv(format_opts)
        kind, payload = self._hashed().deserialize("")
        if kind == "table":
            from ._frames import table_to_frame
            return table_to_frame(payload)
        if kind == "ndarray":
            import numpy as np
            return np.array(payload)  # a writable copy, as np.load gives
        if kind == "json":
            return json.loads(payload)
        return payload

    __call__ = deserialize

    def _read_csv(self, format_opts):
        # What pandas.read_csv makes of the bytes, with the options the meta
        # records (as quilt3's csv handler): pandas' own type inference.
        import pandas as pd
        meta_format = self._meta.get("format")
        opts = dict(meta_format.get("opts", {})) if isinstance(meta_format, dict) else {}
        opts.update(format_opts)
        ext = _extension(self.physical_key) or _extension(self.logical_key)
        sep = opts.get("fieldsep", _CSV_EXTENSIONS.get(ext, ","))
        header = 0 if opts.get("use_header", True) else None
        index_col = 0 if opts.get("use_index", False) else None
        kwargs = {}
        if isinstance(opts.get("na_values"), list):
            kwargs["na_values"] = opts["na_values"]
        if isinstance(opts.get("header_names"), list):
            kwargs["names"] = opts["header_names"]
        return pd.read_csv(io.BytesIO(self.get_bytes()), sep=sep, header=header,
                           index_col=index_col, **kwargs)

    def fetch(self, dest=None):
        """Copy the (verified) bytes to `dest` (default: the key's name here); return the copy."""
        dest = pathlib.Path(dest if dest is not None else self.logical_key.rsplit("/", 1)[-1])
        if str(dest).endswith("/") or dest.is_dir():
            dest = dest / self.logical_key.rsplit("/", 1)[-1]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(self.get_bytes())
        builder = _quiltcpp.Builder()
        builder.set_path(self.logical_key, str(dest.resolve()), "")
        return PackageEntry(builder.build().find(self.logical_key))

    def __eq__(self, other):
        return (isinstance(other, PackageEntry) and self.size == other.size
                and self.hash == other.hash and self._meta == other._meta)

    def __repr__(self):
        return f"PackageEntry('{self.physical_key}')"


class Package:
    """A mutable package, as quilt3's Package, backed by a C++ PackageBuilder."""

    def __init__(self):
        self._b = _quiltcpp.Builder()
        self._built = None  # the C++ Package of the current state, once built
        self._origin = None  # (registry url, name, top hash) it was browsed from

    @classmethod
    def _from_cpp(cls, package, origin=None):
        pkg = cls()
        pkg._b = _quiltcpp.Builder(package)
        pkg._built = package
        pkg._origin = origin
        return pkg

    def _changed(self):
        self._built = None

    def _cpp(self):
        if self._built is None:
            self._built = self._b.build()
        return self._built

    # ---- reading ----

    def _is_dir(self, key):
        prefix = key.rstrip("/") + "/"
        return any(k.startswith(prefix) for k in self._b.keys())

    def __contains__(self, logical_key):
        logical_key = str(logical_key)
        return self._b.contains(logical_key) or self._is_dir(logical_key)

    def _owner(self):
        """The Package whose builder holds the entries (itself, unless a directory)."""
        return self

    def _prefix(self):
        """This package's directory in its owner ("" for a whole package)."""
        return ""

    def __getitem__(self, logical_key):
        """The entry at a file key, or the directory at a directory key: a Package
        whose changes (set, delete, set_meta for the directory's meta) are the
        package's, as quilt3's child nodes."""
        logical_key = str(logical_key)
        entry = self._b.find(logical_key) if logical_key else None
        if entry is not None:
            return PackageEntry(entry, self._owner())
        directory = logical_key.strip("/")
        if not directory:
            return self
        if not self._is_dir(directory):
            raise KeyError(logical_key)
        return _Directory(self._owner(), self._prefix() + directory + "/")

    def get(self, logical_key):
        """The physical key of an entry (quilt3's `pkg.get(key)`)."""
        return self[logical_key].get()

    def keys(self):
        """The names directly below the root: files, and directories without '/'."""
        seen = {}
        for key in self._b.keys():
            seen.setdefault(key.split("/", 1)[0], None)
        return list(seen)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def walk(self):
        """(logical_key, PackageEntry) of every entry, in quilt3's walk order."""
        for key in sorted(self._b.keys(), key=_walk_order):
            yield key, PackageEntry(self._b.find(key), self._owner())

    @property
    def meta(self):
        """The package's user metadata."""
        meta = json.loads(self._b.meta_json)
        return meta.get("user_meta", {}) if isinstance(meta, dict) else {}

    @property
    def top_hash(self):
        return self._cpp().top_hash

    @property
    def manifest(self):
        """The manifest's records as dicts (the package meta first)."""
        for line in self._cpp().manifest_text().splitlines():
            yield json.loads(line)

    def __repr__(self):
        keys = sorted(self._b.keys(), key=_walk_order)
        shown = "\n".join(" " + k for k in keys[:20])
        more = f"\n ... {len(keys) - 20} more" if len(keys) > 20 else ""
        return f"(local Package)\n{shown}{more}"

    # ---- changing ----

    def set(self, logical_key, entry=None, meta=None, serialization_location=None,
            serialization_format_opts=None, unversioned=False):
        """Set a key to a file (a str or path is a path or URL, never content),
        a PackageEntry, or an object serialized by the key's extension:
        DataFrame (parquet, csv, tsv), ndarray (npy), dict/list/number (json),
        bytes (bin)."""
        logical_key = str(logical_key)
        if entry is None:
            entry = logical_key
        if isinstance(entry, (str, os.PathLike)):
            self._b.set_path(logical_key, os.fspath(entry), "" if meta is None else _dumps(meta))
            self._changed()
            return self
        if isinstance(entry, PackageEntry):
            cpp = entry._entry
            if cpp.hash_value is not None:
                self._b.set_entry_as(logical_key, cpp)
            else:  # not hashed yet: the same file, with the same user meta
                user_meta = entry._meta.get("user_meta")
                self._b.set_path(logical_key, cpp.physical_key,
                                 "" if user_meta is None else _dumps(user_meta))
            if meta is not None:
                self._b.set_entry_meta(logical_key, _dumps(meta))
            self._changed()
            return self
        options = _quiltcpp.ObjectOptions()
        if serialization_location is not None:
            options.location = os.fspath(serialization_location)
        if meta is not None:
            options.meta_json = _dumps(meta)
        if serialization_format_opts:
            opts = dict(serialization_format_opts)
            if "format" in opts:
                options.format = str(opts.pop("format"))
            if opts:
                options.format_options_json = _dumps(opts)
        self._set_object(logical_key, entry, options)
        self._changed()
        return self

    def _set_object(self, logical_key, obj, options):
        import numpy as np
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is a dependency
            pd = None
        if pd is not None and isinstance(obj, pd.DataFrame):
            from ._frames import frame_to_table
            ext = options.format or _extension(options.location or logical_key)
            table = frame_to_table(obj, with_index=ext.lstrip(".").lower() not in _CSV_EXTENSIONS)
            self._b.set_table(logical_key, table, options)
        elif isinstance(obj, np.ndarray):
            self._b.set_ndarray(logical_key, obj, options)
        elif isinstance(obj, (bytes, bytearray, memoryview)):
            self._b.set_bytes(logical_key, bytes(obj), options)
        elif isinstance(obj, (dict, list, tuple, int, float, bool)):
            self._b.set_json(logical_key, _dumps(obj), options)
        else:
            raise InvalidArgumentError(
                f"set {logical_key!r}: quiltcpp does not know how to serialize a "
                f"{type(obj).__name__}")

    def set_dir(self, lkey, path=None, meta=None, update_policy="incoming", unversioned=False):
        """Add every file below the directory `path` (default: the current one) under `lkey`."""
        if update_policy not in ("incoming", "existing"):
            raise InvalidArgumentError(
                f"update_policy must be 'incoming' or 'existing', not {update_policy!r}")
        path = os.fspath(path) if path is not None else "."
        self._b.set_dir(str(lkey), path, "" if meta is None else _dumps(meta),
                        update_policy == "existing")
        self._changed()
        return self

    def delete(self, logical_key):
        """Remove an entry or a whole directory."""
        self._b.remove(str(logical_key))
        self._changed()
        return self

    def set_meta(self, meta):
        """Set the package's user metadata."""
        self._b.set_meta(_dumps(meta))
        self._changed()
        return self

    def _set_commit_message(self, message):
        self._b.set_message(None if message is None else str(message))
        self._changed()

    # ---- packages and registries ----

    def build(self, name, registry=None, message=None, workflow=None):
        """Write the manifest into a registry as a new revision of `name` (data
        stays where it is, as quilt3's build); return the top hash."""
        if workflow is not None:
            raise InvalidArgumentError("workflows are not supported yet")
        _quiltcpp.validate_package_name(name)
        self._set_commit_message(message)
        reg = _registry(registry)
        built = reg.push(name, self._cpp(), None, True, False, False)
        self._origin = (reg.url, name, built.top_hash)
        return built.top_hash

    def push(self, name, registry=None, dest=None, message=None, selector_fn=None, *,
             workflow=None, force=False, dedupe=False):
        """Copy the data into a registry (or to `dest`) and write a new revision; return
        the package as pushed.

        dest: a URL prefix (each copied entry goes to dest/<logical key>) or a callable
        (logical_key, entry) -> URL of that entry's object; default
        <registry>/<USER>/<PKG>/<logical key>. selector_fn(logical_key, entry): True copies
        the entry's data to its dest, False keeps its physical key; default: every entry
        except those already in the bucket their data would go to. Both callables run here,
        before any data moves; an exception from one propagates and nothing is written."""
        if workflow is not None:
            raise InvalidArgumentError("push: workflows are not supported yet")
        _quiltcpp.validate_package_name(name)
        self._set_commit_message(message)
        reg = _registry(registry)
        parent = None
        if not force and self._origin and self._origin[0] == reg.url and self._origin[1] == name:
            parent = self._origin[2]
        built = self._cpp()
        dest_prefix, dest_urls, selected = "", None, None
        if dest is not None and not callable(dest):
            dest_prefix = os.fspath(dest)
            if not isinstance(dest_prefix, str):
                raise TypeError(f"push: dest must be a str, a path or a callable, not {dest!r}")
            if not dest_prefix:
                raise InvalidArgumentError("push: dest is empty")
        if selector_fn is not None or callable(dest):
            entries = [(e.logical_key, PackageEntry(e)) for e in built.entries()]
            if selector_fn is not None:
                selected = {key for key, entry in entries if selector_fn(key, entry)}
            if callable(dest):
                dest_urls = {}
                for key, entry in entries:
                    if selected is not None and key not in selected:
                        continue
                    url = dest(key, entry)
                    if isinstance(url, os.PathLike):
                        url = os.fspath(url)
                    if not isinstance(url, str):
                        raise TypeError(f"push: dest({key!r}, entry) returned {url!r}, not a str")
                    dest_urls[key] = url
        # The bar counts every entry: ones already in place finish at once.
        with Bar("Copying objects", *total_of(built.entries())) as bar:
            pushed = reg.push(name, built, parent, force, dedupe, True, dest_prefix, dest_urls,
                              selected, bar.callback())
        return Package._from_cpp(pushed, (reg.url, name, pushed.top_hash))

    @classmethod
    def browse(cls, name, registry=None, top_hash=None):
        """Load a revision (latest by default) of `name` from a registry."""
        reg = _registry(registry)
        package = reg.browse(name, top_hash or "")
        return cls._from_cpp(package, (reg.url, name, package.top_hash))

    @classmethod
    def install(cls, name, registry=None, top_hash=None, dest=None, dest_registry=None, *,
                path=None):
        """Copy a revision's files into `dest` (verified), or, without dest, the
        revision with its data into `dest_registry` (default: the local one)."""
        reg = _registry(registry)
        if dest is not None:
            source = reg.browse(name, top_hash or "")
            prefix = (path or "").rstrip("/")
            chosen = [e for e in source.entries()
                      if not prefix or e.logical_key == prefix
                      or e.logical_key.startswith(prefix + "/")]
            with Bar("Copying objects", *total_of(chosen)) as bar:
                package = reg.install(name, source.top_hash, os.fspath(dest), path or "",
                                      bar.callback())
            return cls._from_cpp(package)
        if path is not None:
            raise InvalidArgumentError("install: path needs dest")
        source = reg.browse(name, top_hash or "")
        target = _registry(dest_registry if dest_registry is not None
                           else _quiltcpp.default_local_registry())
        with Bar("Copying objects", *total_of(source.entries())) as bar:
            pushed = target.push(name, source, None, True, True, True, progress=bar.callback())
        return cls._from_cpp(pushed, (target.url, name, pushed.top_hash))

    @classmethod
    def resolve_hash(cls, name, registry, hash_prefix):
        return _registry(registry).resolve(name, hash_prefix)

    @classmethod
    def rollback(cls, name, registry, top_hash):
        _registry(registry).rollback(name, top_hash)

    def diff(self, other_pkg):
        """(added, modified, deleted) logical keys of `other_pkg` against this one."""
        added, modified, deleted = self._cpp().diff(other_pkg._cpp())
        return list(added), list(modified), list(deleted)

    def verify(self, src, extra_files_ok=False):
        """Whether the files under `src` are this package's, byte for byte."""
        return self._cpp().verify(os.fspath(src), extra_files_ok)[0]

    def dump(self, writable_file):
        """Write the manifest (quilt3's JSONL) to a text or binary file object."""
        text = self._cpp().manifest_text()
        try:
            writable_file.write(text)
        except TypeError:
            writable_file.write(text.encode("utf-8"))

    @classmethod
    def load(cls, readable_file):
        """Read a manifest written by dump() (or by quilt3)."""
        text = readable_file.read()
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return cls._from_cpp(_quiltcpp.Package.from_manifest_text(text))

    def fetch(self, dest="./"):
        """Copy every entry under `dest`; return a package pointing at the copies."""
        dest = pathlib.Path(dest)
        out = Package()
        entries = list(self.walk())
        with Bar("Copying objects", *total_of(e for _, e in entries)) as bar:
            done = 0
            for n, (key, entry) in enumerate(entries, 1):
                copy = entry.fetch(dest / key)
                out._b.set_entry_as(key, copy._entry)
                if entry.meta:
                    out._b.set_entry_meta(key, _dumps(entry.meta))
                done += entry.size
                bar(n, done)
        out._b.set_meta(_dumps(self.meta))
        return out

    def map(self, f, include_directories=False):
        """[f(logical_key, entry)] over every entry, in walk order."""
        return [f(key, entry) for key, entry in self.walk()]

    def filter(self, f, include_directories=False):
        """A new package of the entries for which f(logical_key, entry) is true."""
        out = Package()
        for key, entry in self.walk():
            if f(key, entry):
                out.set(key, entry)
        out._b.set_meta(_dumps(self.meta))
        return out

    @staticmethod
    def selector_fn_copy_all(*args):
        return True

    @staticmethod
    def selector_fn_copy_local(logical_key, entry):
        return entry.physical_key.startswith("file:")


class _DirectoryBuilder:
    """A package's builder seen from one of its directories: keys relative to
    it, meta the directory's (its directory-meta line, as quilt3 keeps it).
    Changes go to the package's builder."""

    def __init__(self, owner, prefix):
        self._owner = owner    # the Package holding the builder
        self._prefix = prefix  # "a/b/"

    @property
    def _b(self):
        return self._owner._b

    def _k(self, key):
        return self._prefix + key

    def contains(self, key):
        return self._b.contains(self._k(key))

    def find(self, key):
        return self._b.find(self._k(key))

    def keys(self):
        n = len(self._prefix)
        return [k[n:] for k in self._b.keys() if k.startswith(self._prefix)]

    def __len__(self):
        return len(self.keys())

    def set_path(self, key, location, meta_json):
        self._b.set_path(self._k(key), location, meta_json)

    def set_entry_as(self, key, entry):
        self._b.set_entry_as(self._k(key), entry)

    def __getattr__(self, name):
        # set_table, set_ndarray, set_json, set_text, set_bytes: (key, object, options).
        if name.startswith("set_") and name in ("set_table", "set_ndarray", "set_json",
                                                "set_text", "set_bytes"):
            method = getattr(self._b, name)
            return lambda key, obj, options: method(self._k(key), obj, options)
        raise AttributeError(name)

    def set_dir(self, prefix, path, meta_json, keep_existing):
        prefix = prefix.strip("/")
        target = self._prefix + prefix if prefix else self._prefix.rstrip("/")
        self._b.set_dir(target, path, meta_json, keep_existing)

    def remove(self, key):
        self._b.remove(self._k(key))

    def set_entry_meta(self, key, meta_json):
        self._b.set_entry_meta(self._k(key), meta_json)

    def set_meta(self, meta_json):
        self._b.set_dir_meta(self._prefix, meta_json)

    def set_message(self, message):
        raise InvalidArgumentError("a directory of a package has no message of its own")

    @property
    def meta_json(self):
        text = self._b.dir_meta_json(self._prefix)
        return _dumps({"user_meta": json.loads(text)}) if text is not None else "{}"

    def build(self):
        """The directory as a package of its own (entries re-keyed below it)."""
        sub = _quiltcpp.Builder()
        for key in self.keys():
            entry = self.find(key)
            if entry.hash_value is not None:
                sub.set_entry_as(key, entry)
            else:
                user_meta = json.loads(entry.meta_json).get("user_meta")
                sub.set_path(key, entry.physical_key,
                             "" if user_meta is None else _dumps(user_meta))
        return sub.build()


class _Directory(Package):
    """A directory of a package, as quilt3's child Package node."""

    def __init__(self, owner, prefix):
        self._b = _DirectoryBuilder(owner, prefix)
        self._built = None
        self._origin = None
        self._owner_package = owner
        self._dir = prefix

    def _owner(self):
        return self._owner_package

    def _prefix(self):
        return self._dir

    def _changed(self):
        self._owner_package._changed()

    def _cpp(self):
        return self._b.build()  # not cached: the owner may change under it

    def __repr__(self):
        return f"(directory {self._dir!r} of a local Package)"


def list_packages(registry=None):
    """Names of every package in a registry, sorted."""
    return _registry(registry).list_packages()


def list_package_versions(name, registry=None):
    """(pointer, top_hash) for each pointer of `name`, as quilt3 lists them: every
    revision's timestamp (oldest first), then "latest"."""
    reg = _registry(registry)
    versions = [(str(ts), top_hash) for ts, top_hash in reg.list_versions(name)]
    versions.append(("latest", reg.latest(name)))
    return versions


def delete_package(name, registry=None, top_hash=None):
    """Delete a package (every revision's pointers), or one revision."""
    reg = _registry(registry)
    if top_hash is None:
        reg.delete_package(name)
    else:
        reg.delete_version(name, top_hash)
