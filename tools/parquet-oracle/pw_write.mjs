#!/usr/bin/env node
// pw_write.mjs: write a Parquet file with parquet-wasm (arrow-rs) from a JSON spec, so tests can
// read files another implementation wrote with its default writer properties.
//
// Usage: node pw_write.mjs OUT.parquet < spec.json
// spec: {"compression": "none"|"snappy"|"gzip"|"zstd"|"brotli"|"lz4_raw" (optional; default:
//        arrow-rs's default),
//        "row_group_size": N, "dictionary": true|false, "dictionary_page_size_limit": BYTES,
//        "data_page_size_limit": BYTES, "metadata": {"key": "value"}, "writer_version": 1|2
//        (data pages v1 or v2) (all optional),
//        "columns": [{"name": "x", "type": T, "values": [...], "nullable": true|false,
//                     "encoding": E (optional; turns the column's dictionary off)}]}
// E: plain, delta_binary_packed, delta_length_byte_array, delta_byte_array, byte_stream_split
//    (arrow-rs refuses one its column's type cannot have).
// T: bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64, utf8,
//    binary (values: hex strings), date32 (days), timestamp_ms|us|ns (integers, as strings for
//    64-bit safety), timestamp_us_utc (the same with tz "UTC"). null is a null.
// Exit 0 after writing; 1 with the error on stderr.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'noop.js'));
const arrow = require('apache-arrow');
const pw = require('parquet-wasm');

function arrowType(t) {
  switch (t) {
    case 'bool': return new arrow.Bool();
    case 'int8': return new arrow.Int8();
    case 'int16': return new arrow.Int16();
    case 'int32': return new arrow.Int32();
    case 'int64': return new arrow.Int64();
    case 'uint8': return new arrow.Uint8();
    case 'uint16': return new arrow.Uint16();
    case 'uint32': return new arrow.Uint32();
    case 'uint64': return new arrow.Uint64();
    case 'float32': return new arrow.Float32();
    case 'float64': return new arrow.Float64();
    case 'utf8': return new arrow.Utf8();
    case 'binary': return new arrow.Binary();
    case 'date32': return new arrow.DateDay();
    case 'timestamp_ms': return new arrow.TimestampMillisecond();
    case 'timestamp_us': return new arrow.TimestampMicrosecond();
    case 'timestamp_ns': return new arrow.TimestampNanosecond();
    case 'timestamp_us_utc': return new arrow.Timestamp(arrow.TimeUnit.MICROSECOND, 'UTC');
  }
  throw new Error(`unknown column type ${t}`);
}

const is64 = (t) => ['int64', 'uint64'].includes(t) || t.startsWith('timestamp');

// 64-bit values and days go in as raw arrays (exact, whatever the builders' conventions).
function buildRaw(column, type) {
  const n = column.values.length;
  const values = column.type === 'uint64' ? new BigUint64Array(n)
    : column.type === 'date32' ? new Int32Array(n) : new BigInt64Array(n);
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  column.values.forEach((v, i) => {
    if (v === null) { nulls++; return; }
    values[i] = column.type === 'date32' ? v : BigInt(v);
    bitmap[i >> 3] |= 1 << (i & 7);
  });
  const data = arrow.makeData({ type, length: n, nullCount: nulls, data: values,
    nullBitmap: nulls ? bitmap : undefined });
  return arrow.makeVector(data);
}

function build(column) {
  const type = arrowType(column.type);
  if (is64(column.type) || column.type === 'date32') return buildRaw(column, type);
  const builder = arrow.makeBuilder({ type, nullValues: [null] });
  for (const v of column.values) {
    if (v === null) builder.append(null);
    else if (column.type === 'binary') builder.append(Uint8Array.from(Buffer.from(v, 'hex')));
    else builder.append(v);
  }
  return builder.finish().toVector();
}

try {
  const out = process.argv[2];
  const spec = JSON.parse(fs.readFileSync(0, 'utf8'));
  const vectors = spec.columns.map(build);
  const fields = spec.columns.map((c, i) => new arrow.Field(c.name, vectors[i].type, c.nullable !== false));
  const schema = new arrow.Schema(fields);
  const length = vectors.length ? vectors[0].length : 0;
  const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(fields), length,
    nullCount: 0, children: vectors.map((v) => v.data[0]) }));
  const table = new arrow.Table(schema, [batch]);
  const wasmTable = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  let props = new pw.WriterPropertiesBuilder();
  const codecs = { none: pw.Compression.UNCOMPRESSED, snappy: pw.Compression.SNAPPY,
    gzip: pw.Compression.GZIP, zstd: pw.Compression.ZSTD, brotli: pw.Compression.BROTLI,
    lz4_raw: pw.Compression.LZ4_RAW };
  if (spec.compression !== undefined) props = props.setCompression(codecs[spec.compression]);
  if (spec.row_group_size !== undefined) props = props.setMaxRowGroupSize(spec.row_group_size);
  if (spec.dictionary !== undefined) props = props.setDictionaryEnabled(spec.dictionary);
  if (spec.dictionary_page_size_limit !== undefined) {
    props = props.setDictionaryPageSizeLimit(spec.dictionary_page_size_limit);
  }
  if (spec.metadata !== undefined) {
    props = props.setKeyValueMetadata(new Map(Object.entries(spec.metadata)));
  }
  if (spec.writer_version !== undefined) {
    props = props.setWriterVersion(spec.writer_version === 2 ? pw.WriterVersion.V2
      : pw.WriterVersion.V1);
  }
  const encodings = { plain: pw.Encoding.PLAIN,
    delta_binary_packed: pw.Encoding.DELTA_BINARY_PACKED,
    delta_length_byte_array: pw.Encoding.DELTA_LENGTH_BYTE_ARRAY,
    delta_byte_array: pw.Encoding.DELTA_BYTE_ARRAY,
    byte_stream_split: pw.Encoding.BYTE_STREAM_SPLIT };
  for (const c of spec.columns) {
    if (c.encoding === undefined) continue;
    if (!(c.encoding in encodings)) throw new Error(`unknown encoding ${c.encoding}`);
    props = props.setColumnDictionaryEnabled(c.name, false)
      .setColumnEncoding(c.name, encodings[c.encoding]);
  }
  if (spec.data_page_size_limit !== undefined) {
    props = props.setDataPageSizeLimit(spec.data_page_size_limit);
  }
  fs.writeFileSync(out, pw.writeParquet(wasmTable, props.build()));
} catch (e) {
  process.stderr.write(`pw_write: ${e.stack || e.message}\n`);
  process.exit(1);
}
