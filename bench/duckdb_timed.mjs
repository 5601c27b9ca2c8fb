#!/usr/bin/env node
// duckdb_timed.mjs: run SQL statements with the oracle's DuckDB and print the
// wall time of each one in ms, one per line, so a benchmark can time a COPY
// apart from the CREATE that makes its data.
//
// Usage: node bench/duckdb_timed.mjs "SQL; SQL; ..."   (statements split at every ";")
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tools', 'parquet-oracle', 'noop.js'));
const { DuckDBInstance } = require('@duckdb/node-api');

const statements = process.argv[2].split(';').map((s) => s.trim()).filter((s) => s.length);
const db = await DuckDBInstance.create(':memory:', {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
});
const con = await db.connect();
for (const s of statements) {
  const start = process.hrtime.bigint();
  await con.run(s);
  process.stdout.write(`${Number(process.hrtime.bigint() - start) / 1e6}\n`);
}
