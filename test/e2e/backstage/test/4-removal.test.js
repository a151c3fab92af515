// The last test file (test/e2e/run.sh runs them in name order, one at a time): a model archived
// in the registry leaves location, the provider's entities and the entities
// of the catalog-info.yaml URL location.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  LOCATION, REGISTRY, REGISTRY_API, REMOVE_TIMEOUT_MS, request, getJSON, catalogEntities,
  locationDocuments, servedDocuments, eventually,
} = require('./lib');

test('a model archived in the registry disappears from the catalog', async (t) => {
  const published = await locationDocuments();
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
  // Both ways in: the provider's AiModelServerAPI, and the Component and
  // Resource of the catalog-info.yaml location (orphaned, then deleted).
  const gone = [
    `kind=AiModelServerAPI,metadata.name=${name}`,
    `kind=Component,metadata.name=${name}`,
    ...target.doc.models.map(m => `kind=Resource,metadata.name=${m.name}`),
  ];
  for (const filter of gone.slice(1)) {
    assert.equal((await catalogEntities(filter)).length, 1, `${filter} is in the catalog before the archive`);
  }
  await eventually(`${name} leaving the catalog`, REMOVE_TIMEOUT_MS, async () => {
    for (const filter of gone) {
      assert.equal((await catalogEntities(filter)).length, 0, filter);
    }
  });
  const others = served.filter(x => x.doc.modelServer.name !== name).map(x => x.doc.modelServer.name);
  const still = (await catalogEntities('kind=AiModelServerAPI')).map(e => e.metadata.name);
  const components = (await catalogEntities('kind=Component')).map(e => e.metadata.name);
  for (const o of others) {
    assert.ok(still.includes(o), `${o} stays in the catalog`);
    assert.ok(components.includes(o), `the Component ${o} stays in the catalog`);
  }
  t.diagnostic(`${name}: gone from the catalog ${((Date.now() - t0) / 1000).toFixed(1)}s after the archive`);
});
