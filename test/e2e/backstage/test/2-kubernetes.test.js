// The Kubernetes tab of a model server: the published Backstage Kubernetes
// backend, reading the test API server with the token of
// deploy/rhdh/kubernetes-plugin-rbac.yaml, finds exactly the predictor pods
// of the model server through the annotations the connector publishes, on
// the provider's AiModelServerAPI entity and on the Component of the
// catalog-info.yaml URL location. The pods stay Pending (no kubelet).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { client } = require('../src/k8s');
const {
  env, BACKEND, APPEAR_TIMEOUT_MS, request, catalogAuth, catalogEntities,
  locationDocuments, servedDocuments, eventually,
} = require('./lib');

const kube = client(env('E2E_KUBECONFIG'));
const LABEL_SELECTOR = 'backstage.io/kubernetes-label-selector';
const NAMESPACE = 'backstage.io/kubernetes-namespace';

// labelsOf turns an equality selector ("a=b,c=d") into the labels a
// matching pod carries.
function labelsOf(selector) {
  return Object.fromEntries(selector.split(',').map(s => {
    const [k, v] = s.split('=');
    assert.ok(k && v !== undefined && !k.includes('!'), `selector ${selector} is a list of key=value`);
    return [k.trim(), v.trim()];
  }));
}

async function createPod(namespace, name, labels) {
  await kube.must('POST', `/api/v1/namespaces/${namespace}/pods`, {
    metadata: { name, labels },
    spec: { containers: [{ name: 'kserve-container', image: 'registry.invalid/model-server:1' }] },
  }, [201, 409]); // 409: a run before this one, on the same sandbox

}

// podsOf asks the Kubernetes plugin, as the Kubernetes tab does, for the
// workloads of entityRef; it returns the pod names and the errors.
async function podsOf(entityRef) {
  const res = await request(`${BACKEND}/api/kubernetes/resources/workloads/query`, {
    method: 'POST', headers: catalogAuth, body: { entityRef, auth: {} },
  });
  const text = await res.text();
  assert.equal(res.status, 200, `workloads of ${entityRef}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text);
  const pods = [];
  const errors = [];
  for (const item of body.items ?? []) {
    errors.push(...(item.errors ?? []));
    for (const r of item.resources ?? []) {
      if (r.type === 'pods') pods.push(...r.resources.map(p => `${p.metadata.namespace}/${p.metadata.name}`));
    }
  }
  return { pods: pods.sort(), errors };
}

test('the Kubernetes plugin shows exactly the predictor pods of each model server', async (t) => {
  const servers = servedDocuments(await locationDocuments())
    .map(({ uri, doc }) => ({ uri, ms: doc.modelServer }))
    .filter(({ ms }) => ms.annotations && ms.annotations[LABEL_SELECTOR] && ms.annotations[NAMESPACE]);
  assert.ok(servers.length >= 2, `at least two model servers carry ${LABEL_SELECTOR} and ${NAMESPACE}, got ${servers.length}`);

  // Two pods per server, and in each namespace a pod of an InferenceService
  // that no document names: the plugin must show none of the other pods.
  const want = {};
  const decoys = new Set();
  for (const [i, { ms }] of servers.entries()) {
    const ns = ms.annotations[NAMESPACE];
    const labels = labelsOf(ms.annotations[LABEL_SELECTOR]);
    want[ms.name] = [];
    for (const n of [1, 2]) {
      const name = `${ms.name}-predictor-e2e-${n}`.slice(0, 63).replace(/-+$/, '');
      await createPod(ns, name, { ...labels, component: 'predictor' });
      want[ms.name].push(`${ns}/${name}`);
    }
    want[ms.name].sort();
    if (!decoys.has(ns)) {
      decoys.add(ns);
      const other = Object.fromEntries(Object.keys(labels).map(k => [k, `not-a-published-server-${i}`]));
      await createPod(ns, `unrelated-predictor-e2e-${i}`, other);
    }
  }

  for (const { uri, ms } of servers) {
    const [entity] = await eventually(`the AiModelServerAPI entity ${ms.name}`, APPEAR_TIMEOUT_MS, async () => {
      const got = await catalogEntities(`kind=AiModelServerAPI,metadata.name=${ms.name}`);
      assert.equal(got.length, 1);
      return got;
    });
    assert.equal(entity.metadata.annotations[LABEL_SELECTOR], ms.annotations[LABEL_SELECTOR], `${uri}: the entity carries the label selector`);
    assert.equal(entity.metadata.annotations[NAMESPACE], ms.annotations[NAMESPACE], `${uri}: the entity carries the namespace`);

    const refs = [`aimodelserverapi:${entity.metadata.namespace}/${ms.name}`, `component:default/${ms.name}`];
    for (const ref of refs) {
      const { pods, errors } = await eventually(`the pods of ${ref}`, APPEAR_TIMEOUT_MS, async () => {
        const got = await podsOf(ref);
        assert.deepEqual(got.pods, want[ms.name]);
        return got;
      });
      assert.deepEqual(errors, [], `${ref}: the plugin read every object type it asks for`);
      t.diagnostic(`${ref}: ${pods.join(', ')}`);
    }
  }
});
