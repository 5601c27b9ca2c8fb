#!/usr/bin/env node
// duckdb_sql.mjs: run SQL statements with DuckDB (the oracle's own copy) and
// print the rows of the last one as JSON. Tests and benchmarks use it to write
// reference files (`COPY (...) TO 'x.parquet'`) and to read ours back.
//
// Usage: node duckdb_sql.mjs "SQL; SQL; ..."   (or the SQL on stdin with "-")
// Exit 0 with {"rows":[...], "ms": N} on stdout; 1 with the error on stderr.
// "ms" is the wall time of the statements alone (no start-up, no printing).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'noop.js'));
const { DuckDBInstance } = require('@duckdb/node-api');

let sql = process.argv[2];
if (sql === undefined || sql === '-') sql = fs.readFileSync(0, 'utf8');
const statements = sql.split(/;\s*(?:\n|$)/).map((s) => s.trim()).filter((s) => s.length);

try {
  const db = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const con = await db.connect();
  let rows = [];
  const start = process.hrtime.bigint();
  for (const s of statements) {
    const reader = await con.runAndReadAll(s);
    rows = reader.getRowObjectsJson();
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(JSON.stringify({ rows, ms }) + '\n');
} catch (e) {
  process.stderr.write(`duckdb: ${e.message}\n`);
  process.exit(1);
}
