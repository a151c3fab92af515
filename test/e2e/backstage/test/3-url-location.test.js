// Every registered model in any Backstage: location's GET /catalog-info.yaml,
// registered as a plain `url` location (app-config.yaml), brings a Resource
// per model, a Component per model server and an API per served API into
// the catalog, with relations and TechDocs that resolve and no processing
// errors, whether or not a model is deployed.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const YAML = require('yaml');
const {
  BACKEND, LOCATION, REGISTRY, REGISTRY_API, APPEAR_TIMEOUT_MS, request, getJSON, catalogAuth,
  catalogEntities, locationDocuments, eventually, psql,
} = require('./lib');

const TECHDOCS_REF = 'backstage.io/techdocs-ref';

async function entityByRef(ref) {
  const m = /^([^:]+):([^/]+)\/(.+)$/.exec(ref);
  assert.ok(m, `${ref} is a full entity reference`);
  const res = await request(`${BACKEND}/api/catalog/entities/by-name/${m[1]}/${m[2]}/${encodeURIComponent(m[3])}`,
    { headers: catalogAuth });
  if (res.status === 404) return undefined;
  const text = await res.text();
  assert.equal(res.status, 200, `GET entity ${ref}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

// expectedEntities lists the entity references the documents stand for.
function expectedEntities(docs) {
  const refs = [];
  for (const { doc } of docs) {
    for (const m of doc.models) refs.push(`resource:default/${m.name}`);
    const ms = doc.modelServer;
    if (ms) {
      refs.push(`component:default/${ms.name}`);
      if (ms.API) refs.push(`api:default/${ms.name}`);
    }
  }
  return [...new Set(refs)].sort();
}

let docs = [];

test('GET /catalog-info.yaml is one Location entity targeting every listed record', async () => {
  const list = await getJSON(`${LOCATION}/list`);
  const res = await request(`${LOCATION}/catalog-info.yaml`);
  const text = await res.text();
  assert.equal(res.status, 200, text.slice(0, 200));
  const entities = YAML.parseAllDocuments(text).map(d => d.toJS());
  assert.equal(entities.length, 1, 'one YAML document');
  const [loc] = entities;
  assert.equal(loc.kind, 'Location');
  assert.equal(loc.spec.type, 'url');
  const targets = loc.spec.targets.map(t => new URL(t, `${LOCATION}/catalog-info.yaml`).pathname).sort();
  const want = list.uris.map(u => u.replace(/[^/]+$/, 'catalog-info.yaml')).sort();
  assert.deepEqual(targets, want, 'a target per listed record');
  for (const t of targets) {
    const r = await request(`${LOCATION}${t}`);
    assert.equal(r.status, 200, `GET ${t}`);
    await r.text();
  }
});

test('every model, deployed or not, is an entity of the catalog-info.yaml location', async (t) => {
  docs = await locationDocuments();
  const want = expectedEntities(docs);
  const undeployed = docs.filter(({ doc }) => !(doc.modelServer && doc.modelServer.API && doc.modelServer.API.url));
  assert.ok(undeployed.length >= 1, 'the sample data has a registered model without a served API (invisible to the 1.x plugin)');

  await eventually(`the catalog holding ${want.length} entities of the URL location`, APPEAR_TIMEOUT_MS, async () => {
    const missing = [];
    for (const ref of want) {
      if (!(await entityByRef(ref))) missing.push(ref);
    }
    assert.deepEqual(missing, []);
  });

  // Every live registered version of the registry is a Resource.
  const models = (await getJSON(`${REGISTRY}${REGISTRY_API}/registered_models?pageSize=100`)).items ?? [];
  const versions = (await getJSON(`${REGISTRY}${REGISTRY_API}/model_versions?pageSize=100`)).items ?? [];
  const liveModels = new Set(models.filter(m => m.state !== 'ARCHIVED').map(m => m.id));
  const live = versions.filter(v => v.state !== 'ARCHIVED' && liveModels.has(v.registeredModelId));
  const registryDocs = docs.filter(({ uri }) => !uri.startsWith('/kserve/'));
  assert.equal(registryDocs.length, live.length, `a document per live registered version (${live.map(v => v.name).join(', ')})`);
  for (const { uri, doc } of registryDocs) {
    const e = await entityByRef(`resource:default/${doc.models[0].name}`);
    assert.equal(e.spec.type, 'ai-model', `${uri}: Resource type`);
    assert.equal(e.spec.owner, doc.models[0].owner, `${uri}: owner`);
  }
  for (const { uri, doc } of docs.filter(({ doc }) => doc.modelServer)) {
    const e = await entityByRef(`component:default/${doc.modelServer.name}`);
    assert.equal(e.spec.type, 'model-server', `${uri}: Component type`);
  }
  t.diagnostic(`${want.length} entities, ${undeployed.length} model(s) without a served API`);
});

test('the relations and TechDocs of those entities resolve, and none has a processing error', async () => {
  if (docs.length === 0) docs = await locationDocuments();
  let relations = 0;
  let techdocs = 0;
  for (const ref of expectedEntities(docs)) {
    const e = await entityByRef(ref);
    assert.ok(e, `${ref} is in the catalog`);
    for (const r of e.relations ?? []) {
      if (!['dependsOn', 'dependencyOf', 'providesApi', 'apiProvidedBy'].includes(r.type)) continue;
      assert.ok(await entityByRef(r.targetRef), `${ref}: ${r.type} ${r.targetRef} resolves`);
      relations++;
    }
    const td = (e.metadata.annotations ?? {})[TECHDOCS_REF];
    if (td) {
      assert.match(td, /^url:https?:\/\//, `${ref}: ${TECHDOCS_REF}`);
      const res = await request(td.slice('url:'.length));
      assert.equal(res.status, 200, `${ref}: ${td}`);
      await res.text();
      techdocs++;
    }
  }
  assert.ok(relations >= 2, `the sample data has relations (a served model and its server), got ${relations}`);
  assert.ok(techdocs >= 1, 'the catalog-registered model has a model card as TechDocs');

  const errors = psql("select entity_ref, errors from refresh_state where errors is not null and errors not in ('', '[]')");
  assert.equal(errors, '', `entities with processing errors:\n${errors}`);
});
