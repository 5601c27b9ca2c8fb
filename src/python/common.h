// Shared pieces of the _quiltcpp extension: the thread pool, JSON passed as
// text, and owners that keep Python objects alive under C++ buffers.
#pragma once

// Name the types in cast errors: they reach users as messages.
#define PYBIND11_DETAILED_ERROR_MESSAGES

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <string_view>

#include "quilt/formats.h"
#include "quilt/json.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"

namespace quilt::python {

namespace py = pybind11;

/// The pool every call serializes, hashes and copies on: one per process,
/// made on first use, one worker per core.
ThreadPool& pool();

/// Parse JSON text handed over by the Python layer (which makes it with
/// json.dumps). Empty text is null.
Json json_from_text(std::string_view text);
/// The text Python's json.loads reads back as the same value.
std::string json_to_text(const Json& value);

/// A shared_ptr owner that holds a reference to `object` and drops it with the
/// GIL held, from whichever thread lets go of the last copy. Buffers viewing
/// numpy memory carry one, so the array outlives every view of it.
std::shared_ptr<const void> py_owner(py::object object);

/// Wrap a Python callable(files, bytes) as a ProgressFn that worker threads
/// may call with increments: the running totals are passed on with the GIL at
/// most every 100 ms; an exception from the callable is reported as unraisable and
/// ignored. None gives an empty ProgressFn.
ProgressFn py_progress(const py::object& callback);

/// Build a Table from the column descriptions the Python layer makes (see
/// python/quiltcpp/_frames.py), zero-copy where the memory allows.
Table table_from_py(const py::list& columns, const std::string& pandas_metadata, int64_t num_rows);
/// Describe a Table's columns for the Python layer, which makes the DataFrame.
py::tuple table_to_py(const Table& table);

/// An NDArray over a numpy array's memory (no copy when it is C or Fortran
/// contiguous).
NDArray ndarray_from_py(const py::array& array);
/// A numpy array over an NDArray's memory (read-only, no copy).
py::array ndarray_to_py(const NDArray& array);

/// Register the table and ndarray bindings.
void bind_objects(py::module_& m);

}  // namespace quilt::python
