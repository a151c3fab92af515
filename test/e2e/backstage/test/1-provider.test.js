// End-to-end assertions: the connector's location read by the real RHDH
// catalog (the published model-catalog entity provider in a Backstage
// backend on PostgreSQL), and the 0.7.x contract checked with Backstage's
// own validators. test/e2e/run.sh starts everything, sets the E2E_* variables
// and runs the files one after the other in name order: 1-provider,
// 2-kubernetes, 3-url-location, then 4-removal, which changes the registry.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
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

const {
  LOCATION, PROVIDER, STEERING, APPEAR_TIMEOUT_MS, request, catalogEntities,
  locationDocuments, servedDocuments, eventually, psql,
} = require('./lib');

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
