#!/usr/bin/env node
// duckdb_sql.mjs: run SQL statements with DuckDB (the oracle's own copy) and
// print the rows of the last one as JSON. Tests and benchmarks use it to write
// reference files (`COPY (...) TO 'x.parquet'`) and to read ours back.
//
// Usage: node duckdb_sql.mjs "SQL; SQL; ..."   (or the SQL on stdin with "-")
// Exit 0 with {"rows":[...], "ms": N, "statement_ms": [...]} on stdout; 1 with
// the error on stderr. "ms" is the wall time of the statements alone (no
// start-up, no printing); "statement_ms" that of each statement.
// DUCKDB_THREADS=N sets DuckDB's thread count (default: one per core).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'noop.js'));
const { DuckDBInstance } = require('@duckdb/node-api');

let sql = process.argv[2];
if (sql === undefined || sql === '-') sql = fs.readFileSync(0, 'utf8');

try {
  const db = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const con = await db.connect();
  if (process.env.DUCKDB_THREADS) await con.run(`SET threads = ${Number(process.env.DUCKDB_THREADS)}`);
  let rows = [];
  const statementMs = [];
  // DuckDB splits the statements itself, so a ';' inside a string is safe.
  const extracted = await con.extractStatements(sql);
  for (let i = 0; i < extracted.count; i++) {
    const prepared = await extracted.prepare(i);
    const start = process.hrtime.bigint();
    const reader = await prepared.runAndReadAll();
    statementMs.push(Number(process.hrtime.bigint() - start) / 1e6);
    rows = reader.getRowObjectsJson();
  }
  const ms = statementMs.reduce((a, b) => a + b, 0);
  process.stdout.write(JSON.stringify({ rows, ms, statement_ms: statementMs }) + '\n');
} catch (e) {
  process.stderr.write(`duckdb: ${e.message}\n`);
  process.exit(1);
}
