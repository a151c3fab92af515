// End-to-end assertions: the connector's location read by the real RHDH
// catalog (the published model-catalog entity provider in a Backstage
// backend on PostgreSQL), and the 0.7.x contract checked with Backstage's
// own validators. e2e/run.sh starts everything and sets the E2E_*
// variables; the tests run in file order and the removal test runs last
// because it changes the registry.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const {
  entitySchemaValidator,
  componentEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  apiEntityV1alpha1Validator,
  EntityPolicies,
  DefaultNamespaceEntityPolicy,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
  KubernetesValidatorFunctions,
  makeValidator,
} = require('@backstage/catalog-model');
const {
  aiModelServerApiEntityValidator,
} = require('@red-hat-developer-hub/backstage-plugin-catalog-model-ai-model-server');

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through e2e/run.sh`);
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

// Shared between the tests (they run in order).
let published = [];

test('every served model server reaches the catalog as an AiModelServerAPI entity', async () => {
  published = await locationDocuments();
  assert.ok(published.length > 0, 'location lists documents');
  const served = servedDocuments(published);
  assert.ok(served.length >= 2, `the sample data has at least two model servers with an API URL, got ${served.length}`);

  const want = served.map(({ doc }) => doc.modelServer.name.replace(/\s/g, '')).sort();
  const entities = await eventually(`the catalog holding ${want.join(', ')}`, APPEAR_TIMEOUT_MS, async () => {
    const got = await catalogEntities('kind=AiModelServerAPI');
    const names = got.map(e => e.metadata.name).sort();
    assert.deepEqual(names, want);
    return got;
  });

  for (const { uri, doc } of served) {
    const ms = doc.modelServer;
    const e = entities.find(x => x.metadata.name === ms.name);
    assert.ok(e, `entity for ${uri}`);
    const a = ms.annotations ?? {};
    assert.equal(e.spec.type, 'ai-model-server');
    assert.equal(e.spec.owner, `user:${a['rhdh.io/owner'] ?? ms.owner}`, `${uri}: owner`);
    assert.equal(e.spec.lifecycle, a['rhdh.io/lifecycle'] ?? ms.lifecycle, `${uri}: lifecycle`);
    assert.equal(e.spec.serverUrl, ms.API.url, `${uri}: URL`);
    assert.equal(e.spec.requiresApiKey, ms.authentication ?? false, `${uri}: authentication`);
    assert.deepEqual(e.spec.models.available, doc.models.map(m => m.name), `${uri}: models`);
    assert.equal(e.metadata.description, ms.description, `${uri}: description`);
    assert.equal(e.metadata.annotations['backstage.io/managed-by-location'], PROVIDER);

    const copied = { ...(ms.API.annotations ?? {}), ...a };
    for (const k of STEERING) delete copied[k];
    for (const [k, v] of Object.entries(copied)) {
      assert.equal(e.metadata.annotations[k], v, `${uri}: annotation ${k}`);
    }
    const card = doc.models.map(m => (m.annotations ?? {}).techdocs).find(v => v && v.trim() !== '');
    if (card) {
      const ref = e.metadata.annotations['backstage.io/techdocs-ref'];
      const target = card.startsWith('/') ? LOCATION + card : card;
      assert.equal(ref, `url:${target}`, `${uri}: techdocs-ref`);
    }
    assert.ok(await aiModelServerApiEntityValidator.check(e), `${uri}: the stored entity passes the AiModelServerAPI validator`);
  }
});

test('the catalog recorded no processing errors', async () => {
  // Every entity has been processed at least once (the stitched entities
  // were served above); refresh_state holds the errors of the last pass.
  const rows = psql("select entity_ref from refresh_state where entity_ref like 'aimodelserverapi:%' order by 1");
  assert.ok(rows.split('\n').filter(Boolean).length >= 2, `refresh_state holds the model servers, got: ${rows}`);
  const errors = psql("select entity_ref, errors from refresh_state where errors is not null and errors not in ('', '[]')");
  assert.equal(errors, '', `entities with processing errors:\n${errors}`);
});

test("the catalog-registered model's card is served where its TechDocs annotation points", async () => {
  if (published.length === 0) published = await locationDocuments();
  const withCard = published.flatMap(({ uri, doc }) => doc.models
    .map(m => ({ uri, model: m, card: (m.annotations ?? {}).TechDocs ?? (m.annotations ?? {}).techdocs }))
    .filter(x => x.card));
  assert.ok(withCard.length >= 1, 'at least one published model has a model card (the one registered from the catalog)');
  for (const { uri, model, card } of withCard) {
    const url = card.startsWith('/') ? LOCATION + card : card;
    const res = await request(url);
    const body = await res.text();
    assert.equal(res.status, 200, `${uri}: GET ${url}`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/markdown/, `${uri}: content type`);
    assert.ok(body.trim().length > 0, `${uri}: the card of ${model.name} is not empty`);
    const etag = res.headers.get('etag');
    assert.ok(etag, `${uri}: ETag`);
    const again = await request(url, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304, `${uri}: If-None-Match answers 304`);
  }
  // The cards the catalog links to are the same ones.
  const entities = await catalogEntities('kind=AiModelServerAPI');
  for (const e of entities) {
    const ref = (e.metadata.annotations ?? {})['backstage.io/techdocs-ref'];
    if (!ref) continue;
    const res = await request(ref.replace(/^url:/, ''));
    assert.equal(res.status, 200, `${e.metadata.name}: techdocs-ref ${ref}`);
  }
});

// The 0.7.x provider (RHDH 1.8), CONTRACT section 3: a Component of type
// model-server per modelServer, a Resource of type ai-model per model, an
// API per modelServer.API; annotations copied; model annotation TechDocs
// becomes backstage.io/techdocs-ref: url:<value>.
function legacyEntities(doc) {
  const out = [];
  const ms = doc.modelServer;
  const meta = (name, description, tags, annotations, links) => ({
    name,
    ...(description !== undefined && { description }),
    ...(tags && tags.length > 0 && { tags }),
    ...(annotations && Object.keys(annotations).length > 0 && { annotations }),
    ...(links && links.length > 0 && { links }),
  });
  for (const m of doc.models) {
    const annotations = { ...(m.annotations ?? {}) };
    if (annotations.TechDocs) {
      annotations['backstage.io/techdocs-ref'] = `url:${annotations.TechDocs}`;
      delete annotations.TechDocs;
    }
    const links = [];
    if (m.artifactLocationURL) links.push({ url: m.artifactLocationURL, title: 'Artifact' });
    if (m.howToUseURL) links.push({ url: m.howToUseURL, title: 'How to use' });
    if (m.license) links.push({ url: m.license, title: 'License' });
    out.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: meta(m.name, m.description, m.tags, annotations, links.filter(l => /^https?:\/\//.test(l.url))),
      spec: {
        type: 'ai-model',
        owner: m.owner,
        ...(ms && { dependencyOf: [`component:${ms.name}`] }),
      },
    });
  }
  if (ms) {
    const links = ms.homepageURL ? [{ url: ms.homepageURL, title: 'Homepage' }] : [];
    out.push({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: meta(ms.name, ms.description, ms.tags, ms.annotations, links),
      spec: {
        type: 'model-server',
        owner: ms.owner,
        lifecycle: ms.lifecycle,
        ...(ms.API && { providesApis: [`api:${ms.name}`] }),
        dependsOn: doc.models.map(m => `resource:${m.name}`),
      },
    });
    if (ms.API) {
      out.push({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'API',
        metadata: meta(ms.name, ms.description, ms.API.tags, ms.API.annotations,
          ms.API.url ? [{ url: ms.API.url, title: 'API' }] : []),
        spec: {
          type: ms.API.type,
          owner: ms.owner,
          lifecycle: ms.lifecycle,
          definition: ms.API.spec,
        },
      });
    }
  }
  return out;
}

test('the 0.7.x entities built from every document pass Backstage validation', async () => {
  if (published.length === 0) published = await locationDocuments();
  const envelope = entitySchemaValidator();
  const policy = EntityPolicies.allOf([
    new DefaultNamespaceEntityPolicy(),
    new NoForeignRootFieldsEntityPolicy(),
    new FieldFormatEntityPolicy(makeValidator()),
    new SchemaValidEntityPolicy(),
  ]);
  const kindValidators = {
    Component: componentEntityV1alpha1Validator,
    Resource: resourceEntityV1alpha1Validator,
    API: apiEntityV1alpha1Validator,
  };
  let checked = 0;
  for (const { uri, doc } of published) {
    const entities = legacyEntities(doc);
    assert.ok(entities.length >= 1, `${uri} yields entities`);
    for (const e of entities) {
      const label = `${uri} ${e.kind} ${e.metadata.name}`;
      assert.doesNotThrow(() => envelope(e), label);
      const enforced = await policy.enforce(structuredClone(e)).catch(err => assert.fail(`${label}: ${err.message}`));
      assert.ok(enforced, `${label}: policies`);
      assert.equal(await kindValidators[e.kind].check(e), true, `${label}: ${e.kind} schema`);
      assert.ok(KubernetesValidatorFunctions.isValidObjectName(e.metadata.name), `${label}: name`);
      for (const t of e.metadata.tags ?? []) {
        assert.ok(makeValidator().isValidTag(t), `${label}: tag ${t}`);
      }
      for (const k of Object.keys(e.metadata.annotations ?? {})) {
        assert.ok(KubernetesValidatorFunctions.isValidAnnotationKey(k), `${label}: annotation key ${k}`);
      }
      assert.ok(String(e.spec.owner ?? '').trim() !== '', `${label}: owner`);
      if (e.kind !== 'Resource') assert.ok(String(e.spec.lifecycle ?? '').trim() !== '', `${label}: lifecycle`);
      checked++;
    }
  }
  const kinds = new Set(published.flatMap(({ doc }) => legacyEntities(doc).map(e => e.kind)));
  assert.deepEqual([...kinds].sort(), ['API', 'Component', 'Resource'], 'the sample data exercises every kind');
  assert.ok(checked > 0);
});

test('a model archived in the registry disappears from the catalog', async (t) => {
  if (published.length === 0) published = await locationDocuments();
  // A served, registry-backed model (its URI is /<registered model>/<version>/...):
  // its registered model is archived, which unpublishes its versions.
  const models = (await getJSON(`${REGISTRY}${REGISTRY_API}/registered_models?pageSize=100`)).items ?? [];
  const served = servedDocuments(published);
  const target = served
    .map(({ uri, doc }) => ({ uri, doc, rm: models.find(r => uri.startsWith(`/${r.name}/`)) }))
    .find(x => x.rm && x.rm.state !== 'ARCHIVED');
  assert.ok(target, `a served document of a registered model (registered: ${models.map(m => m.name).join(', ')})`);
  const name = target.doc.modelServer.name;
  const before = await catalogEntities(`kind=AiModelServerAPI,metadata.name=${name}`);
  assert.equal(before.length, 1, `${name} is in the catalog before the archive`);

  const res = await request(`${REGISTRY}${REGISTRY_API}/registered_models/${target.rm.id}`, {
    method: 'PATCH', body: { state: 'ARCHIVED' },
  });
  assert.equal(res.status, 200, `PATCH registered model ${target.rm.name}: ${await res.text()}`);
  const t0 = Date.now();

  await eventually(`${target.uri} leaving location's /list`, REMOVE_TIMEOUT_MS, async () => {
    const list = await getJSON(`${LOCATION}/list`);
    assert.ok(!(list.uris ?? []).includes(target.uri));
  });
  await eventually(`${name} leaving the catalog`, REMOVE_TIMEOUT_MS, async () => {
    const got = await catalogEntities(`kind=AiModelServerAPI,metadata.name=${name}`);
    assert.equal(got.length, 0);
  });
  const others = served.filter(x => x.doc.modelServer.name !== name).map(x => x.doc.modelServer.name);
  const still = (await catalogEntities('kind=AiModelServerAPI')).map(e => e.metadata.name);
  for (const o of others) assert.ok(still.includes(o), `${o} stays in the catalog`);
  t.diagnostic(`${name}: gone from the catalog ${((Date.now() - t0) / 1000).toFixed(1)}s after the archive`);
});
