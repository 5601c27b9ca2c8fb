"""quiltcpp: quilt3's Package API over a C++ core.

    import quiltcpp as quilt3
    pkg = quilt3.Package()
    pkg.set("data/df.parquet", df)
    pkg.build("user/pkg", registry="/path/to/registry", message="first")

See docs/python.md for what is supported and how it maps to the C++ library.
"""

from . import _quiltcpp
from .exceptions import (  # noqa: F401
    ConflictError,
    CorruptError,
    InvalidArgumentError,
    NotFoundError,
    QuiltException,
    QuiltIOError,
    RemoteError,
)
from .packages import (  # noqa: F401
    Package,
    PackageEntry,
    delete_package,
    list_package_versions,
    list_packages,
)

__version__ = _quiltcpp.__version__


def config(*args, **kwargs):
    """The registries quiltcpp uses (quilt3's config() also sets catalog URLs,
    which quiltcpp has no use for): read-only here."""
    if args or kwargs:
        raise InvalidArgumentError("quiltcpp.config() cannot change settings yet; "
                                   "set QUILTCPP_REGISTRY or quilt3's config.yml")
    return {
        "default_local_registry": _quiltcpp.default_local_registry(),
        "default_registry": _quiltcpp.default_registry(),
    }
