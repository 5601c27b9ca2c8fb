#pragma once

// The formats FormatRegistry::builtin() registers, one factory each, and the
// helpers they share.

#include <memory>
#include <string>
#include <string_view>

#include "quilt/formats.h"

namespace quilt::detail {

std::shared_ptr<const Format> make_bytes_format();
std::shared_ptr<const Format> make_json_format();
std::shared_ptr<const Format> make_text_format();
std::shared_ptr<const Format> make_numpy_format();
std::shared_ptr<const Format> make_csv_format();
std::shared_ptr<const Format> make_parquet_format();

/// Return quilt3's meta for handler `name` with `format_meta` (the format's
/// additions, without "name"): {"format": {...additions, "name": name},
/// "target": name}.
Json format_meta(std::string_view name, Json additions = Json::object());

/// Throw InvalidArgument unless `options` is null or an empty object: for the
/// formats that take no options.
void check_no_options(std::string_view format_name, const Json& options);

/// Return `s` in single quotes, escaped for a one-line message.
std::string in_quotes(std::string_view s);

/// Pass `bytes` to `sink` as one piece.
void sink_bytes(const ByteSink& sink, std::string_view bytes);

}  // namespace quilt::detail
