// Export of Table and Column through the Arrow C Data Interface. Each exported
// ArrowSchema / ArrowArray owns a private_data block (freed by its release
// callback) holding the strings, pointer arrays and child structs it points at;
// an array's block also holds copies of the column's Buffers, whose owners keep
// the bytes alive until the consumer releases.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "quilt/arrow_c.h"
#include "quilt/errors.h"

namespace quilt {
namespace {

// Stands in for an empty buffer: the specification lets a zero-size buffer be
// null, but some consumers read offsets[0] of an empty string array, so every
// non-validity buffer we hand out points at readable, aligned memory.
alignas(64) constexpr uint8_t kEmptyBuffer[64] = {};

struct SchemaPrivate {
  std::string format;
  std::string name;
  std::string metadata;  // the specification's binary encoding; empty for none
  std::vector<ArrowSchema> children;
  std::vector<ArrowSchema*> child_pointers;
  std::unique_ptr<ArrowSchema> dictionary;
};

struct ArrayPrivate {
  std::vector<Buffer> kept;  // the column's buffers: their owners keep the bytes alive
  std::vector<const void*> buffers;
  std::vector<ArrowArray> children;
  std::vector<ArrowArray*> child_pointers;
  std::unique_ptr<ArrowArray> dictionary;
};

// A consumer may have moved a child out (and nulled its release here), so only
// children still in place are released.
void release_schema(ArrowSchema* schema) {
  if (schema == nullptr || schema->release == nullptr) return;
  std::unique_ptr<SchemaPrivate> p(static_cast<SchemaPrivate*>(schema->private_data));
  for (ArrowSchema& child : p->children) {
    if (child.release != nullptr) child.release(&child);
  }
  if (p->dictionary && p->dictionary->release != nullptr)
    p->dictionary->release(p->dictionary.get());
  schema->release = nullptr;
  schema->private_data = nullptr;
}

void release_array(ArrowArray* array) {
  if (array == nullptr || array->release == nullptr) return;
  std::unique_ptr<ArrayPrivate> p(static_cast<ArrayPrivate*>(array->private_data));
  for (ArrowArray& child : p->children) {
    if (child.release != nullptr) child.release(&child);
  }
  if (p->dictionary && p->dictionary->release != nullptr)
    p->dictionary->release(p->dictionary.get());
  array->release = nullptr;
  array->private_data = nullptr;
}

void append_int32(std::string& out, int32_t v) {
  char bytes[4];
  std::memcpy(bytes, &v, 4);  // native byte order, as the specification says
  out.append(bytes, 4);
}

std::string encode_metadata(const KeyValueMetadata& metadata) {
  if (metadata.empty()) return {};
  std::string out;
  append_int32(out, static_cast<int32_t>(metadata.size()));
  for (const auto& [key, value] : metadata) {
    append_int32(out, static_cast<int32_t>(key.size()));
    out += key;
    append_int32(out, static_cast<int32_t>(value.size()));
    out += value;
  }
  return out;
}

// Fill `out` from `p`, handing `p` over to it (freed by release_schema).
void finish_schema(std::unique_ptr<SchemaPrivate> p, int64_t flags, ArrowSchema* out) {
  p->child_pointers.clear();
  for (ArrowSchema& child : p->children) p->child_pointers.push_back(&child);
  out->format = p->format.c_str();
  out->name = p->name.c_str();
  out->metadata = p->metadata.empty() ? nullptr : p->metadata.data();
  out->flags = flags;
  out->n_children = static_cast<int64_t>(p->children.size());
  out->children = p->children.empty() ? nullptr : p->child_pointers.data();
  out->dictionary = p->dictionary.get();
  out->release = release_schema;
  out->private_data = p.release();
}

void export_column_schema(const Column& column, const std::string& name, ArrowSchema* out) {
  auto p = std::make_unique<SchemaPrivate>();
  p->format = arrow_format(column.type());
  p->name = name;
  int64_t flags = ARROW_FLAG_NULLABLE;  // every Table column may hold nulls
  if (column.type().id() == TypeId::kDictionary) {
    p->dictionary = std::make_unique<ArrowSchema>();
    const Column& dictionary = column.dictionary();
    export_column_schema(dictionary, "", p->dictionary.get());
    if (column.type().ordered()) flags |= ARROW_FLAG_DICTIONARY_ORDERED;
  }
  finish_schema(std::move(p), flags, out);
}

const void* pointer_or_empty(const Buffer& b) {
  return b.data() != nullptr ? b.data() : kEmptyBuffer;
}

void export_column_array(const Column& column, ArrowArray* out) {
  auto p = std::make_unique<ArrayPrivate>();
  p->kept = {column.validity_buffer(), column.values_buffer(), column.data_buffer()};
  // An empty validity buffer means "no nulls", which the specification spells as null.
  p->buffers.push_back(column.validity_buffer().empty() ? nullptr
                                                        : column.validity_buffer().data());
  p->buffers.push_back(pointer_or_empty(column.values_buffer()));
  if (column.type().is_binary_like()) p->buffers.push_back(pointer_or_empty(column.data_buffer()));
  if (column.type().id() == TypeId::kDictionary) {
    p->dictionary = std::make_unique<ArrowArray>();
    export_column_array(column.dictionary(), p->dictionary.get());
  }
  // An empty string column may have no offsets at all: present it as one zero offset.
  const bool no_offsets = column.type().is_binary_like() && column.values_buffer().empty();
  out->length = column.length();
  out->null_count = column.null_count();
  out->offset = no_offsets ? 0 : column.offset();
  out->n_buffers = static_cast<int64_t>(p->buffers.size());
  out->n_children = 0;
  out->buffers = p->buffers.data();
  out->children = nullptr;
  out->dictionary = p->dictionary.get();
  out->release = release_array;
  out->private_data = p.release();
}

}  // namespace

std::string arrow_format(const DataType& type) {
  switch (type.id()) {
    case TypeId::kBool:
      return "b";
    case TypeId::kInt8:
      return "c";
    case TypeId::kInt16:
      return "s";
    case TypeId::kInt32:
      return "i";
    case TypeId::kInt64:
      return "l";
    case TypeId::kUInt8:
      return "C";
    case TypeId::kUInt16:
      return "S";
    case TypeId::kUInt32:
      return "I";
    case TypeId::kUInt64:
      return "L";
    case TypeId::kFloat32:
      return "f";
    case TypeId::kFloat64:
      return "g";
    case TypeId::kString:
      return "u";
    case TypeId::kBinary:
      return "z";
    case TypeId::kDate32:
      return "tdD";
    case TypeId::kDictionary:
      return arrow_format(type.index_type());
    case TypeId::kTimestamp:
      break;
  }
  static constexpr const char* kUnits[] = {"tss:", "tsm:", "tsu:", "tsn:"};
  return kUnits[static_cast<int>(type.unit())] + type.timezone();
}

void export_arrow_column(const Column& column, ArrowSchema* schema, ArrowArray* array) {
  if (schema == nullptr || array == nullptr) {
    throw InvalidArgument("export_arrow_column needs an ArrowSchema and an ArrowArray to fill");
  }
  export_column_schema(column, column.name(), schema);
  try {
    export_column_array(column, array);
  } catch (...) {
    release_schema(schema);
    throw;
  }
}

void export_arrow_table(const Table& table, ArrowSchema* schema, ArrowArray* array) {
  if (schema == nullptr || array == nullptr) {
    throw InvalidArgument("export_arrow_table needs an ArrowSchema and an ArrowArray to fill");
  }
  const size_t n = table.columns().size();
  auto sp = std::make_unique<SchemaPrivate>();
  sp->format = "+s";
  sp->metadata = encode_metadata(table.metadata());
  // Zero-filled children have a null release, so a throw halfway frees only what was made.
  sp->children.resize(n, ArrowSchema{});
  auto ap = std::make_unique<ArrayPrivate>();
  ap->buffers.push_back(nullptr);  // the struct's validity: no null rows
  ap->children.resize(n, ArrowArray{});
  try {
    for (size_t i = 0; i < n; ++i) {
      const Column& c = table.columns()[i];
      export_column_schema(c, c.name(), &sp->children[i]);
      export_column_array(c, &ap->children[i]);
    }
  } catch (...) {
    for (ArrowSchema& child : sp->children) release_schema(&child);
    for (ArrowArray& child : ap->children) release_array(&child);
    throw;
  }
  for (ArrowArray& child : ap->children) ap->child_pointers.push_back(&child);
  finish_schema(std::move(sp), 0, schema);
  array->length = table.num_rows();
  array->null_count = 0;
  array->offset = 0;
  array->n_buffers = 1;
  array->n_children = static_cast<int64_t>(n);
  array->buffers = ap->buffers.data();
  array->children = n == 0 ? nullptr : ap->child_pointers.data();
  array->dictionary = nullptr;
  array->release = release_array;
  array->private_data = ap.release();
}

}  // namespace quilt
