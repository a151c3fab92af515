// Helpers shared by the end-to-end test files: the E2E_* variables
// test/e2e/run.sh sets, HTTP to the Backstage backend and to location, polling.
'use strict';

const { execFileSync } = require('node:child_process');

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through test/e2e/run.sh`);
  return v;
}
const BACKEND = env('E2E_BACKEND_URL');
const TOKEN = env('E2E_BACKEND_TOKEN');
const LOCATION = env('E2E_LOCATION_URL');
const REGISTRY = env('E2E_REGISTRY_URL');
const PSQL = env('E2E_PSQL');
const PG_PORT = env('E2E_PG_PORT');

const PROVIDER = 'ModelCatalogResourceEntityProvider:development';
const REGISTRY_API = '/api/model_registry/v1alpha3';
// The 1.x provider's own removals: these modelServer annotations steer the
// entity and are not copied onto it.
const STEERING = ['rhdh.io/system', 'rhdh.io/serverType', 'rhdh.io/default', 'rhdh.io/owner',
  'rhdh.io/lifecycle', 'rhdh.io/api-entity-ref'];
// Bounds: normalizer polls every 3 s, the provider every 5 s, the catalog
// processes every 2 s; a minute leaves ample room on a busy machine.
const APPEAR_TIMEOUT_MS = 120_000;
const REMOVE_TIMEOUT_MS = 90_000;

async function request(url, { headers = {}, method = 'GET', body } = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  return res;
}

async function getJSON(url, headers) {
  const res = await request(url, { headers });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const catalogAuth = { Authorization: `Bearer ${TOKEN}` };

async function catalogEntities(filter) {
  const q = filter ? `?filter=${encodeURIComponent(filter)}` : '';
  return getJSON(`${BACKEND}/api/catalog/entities${q}`, catalogAuth);
}

async function locationDocuments() {
  const list = await getJSON(`${LOCATION}/list`);
  const uris = list.uris ?? [];
  const docs = [];
  for (const uri of uris) {
    docs.push({ uri, doc: await getJSON(`${LOCATION}${uri}`) });
  }
  return docs;
}

// The documents the 1.x provider turns into AiModelServerAPI entities.
function servedDocuments(docs) {
  return docs.filter(({ doc }) => doc.modelServer && doc.modelServer.API && doc.modelServer.API.url);
}

async function eventually(what, timeoutMs, fn) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not reached within ${timeoutMs / 1000}s: ${last && last.message}`);
    }
    await new Promise(r => setTimeout(r, 1000));
  }
}

function psql(sql) {
  return execFileSync(PSQL, ['-h', '127.0.0.1', '-p', PG_PORT, '-U', 'postgres', '-d', 'backstage_plugin_catalog',
    '-v', 'ON_ERROR_STOP=1', '-At', '-F', '\t', '-c', sql], { encoding: 'utf8' }).trim();
}


module.exports = {
  env, BACKEND, TOKEN, LOCATION, REGISTRY, PROVIDER, REGISTRY_API, STEERING,
  APPEAR_TIMEOUT_MS, REMOVE_TIMEOUT_MS, request, getJSON, catalogAuth, catalogEntities,
  locationDocuments, servedDocuments, eventually, psql,
};
