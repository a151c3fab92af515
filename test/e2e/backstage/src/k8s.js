// A minimal client of the sandbox's kube-apiserver for the end-to-end test:
// the admin kubeconfig the sandbox writes (client certificate), plain
// HTTPS, JSON in and out. Also a command:
//
//   node src/k8s.js plugin-credentials <kubeconfig>
//
// applies deploy/rhdh/kubernetes-plugin-rbac.yaml (the service account the
// Backstage Kubernetes plugin reads the cluster with) and prints
// {"url","caData","token"} as JSON.
'use strict';

const fs = require('node:fs');
const https = require('node:https');
const YAML = require('yaml');

const path = require('node:path');

// The manifest a platform engineer applies for the plugin; the test applies
// the same file, so what it grants is what the plugin is proven to need.
const PLUGIN_RBAC = path.join(__dirname, '..', '..', '..', '..', 'deploy', 'rhdh', 'kubernetes-plugin-rbac.yaml');

function loadKubeconfig(path) {
  const kc = YAML.parse(fs.readFileSync(path, 'utf8'));
  const ctx = kc.contexts.find(c => c.name === kc['current-context']).context;
  const cluster = kc.clusters.find(c => c.name === ctx.cluster).cluster;
  const user = kc.users.find(u => u.name === ctx.user).user;
  const b64 = s => Buffer.from(s, 'base64');
  return {
    server: cluster.server,
    caData: cluster['certificate-authority-data'],
    ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data']),
  };
}

// client(kubeconfigPath) returns request(method, path, body) → {status, body}.
function client(kubeconfigPath) {
  const kc = loadKubeconfig(kubeconfigPath);
  const base = new URL(kc.server);
  const request = (method, path, body) => new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({
      host: base.hostname, port: base.port, path, method,
      ca: kc.ca, cert: kc.cert, key: kc.key,
      headers: { Accept: 'application/json', ...(data && { 'Content-Type': 'application/json' }) },
      timeout: 15_000,
    }, res => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', c => { text += c; });
      res.on('end', () => {
        let parsed;
        try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
        resolve({ status: res.statusCode, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
  // must: the request, failing unless the status is one of ok.
  request.must = async (method, path, body, ok = [200, 201]) => {
    const res = await request(method, path, body);
    if (!ok.includes(res.status)) {
      throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    }
    return res.body;
  };
  request.kubeconfig = kc;
  return request;
}

const COLLECTIONS = {
  ServiceAccount: ns => `/api/v1/namespaces/${ns}/serviceaccounts`,
  Secret: ns => `/api/v1/namespaces/${ns}/secrets`,
  ClusterRole: () => '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  ClusterRoleBinding: () => '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
};

// pluginCredentials applies deploy/rhdh/kubernetes-plugin-rbac.yaml and
// returns a token of its service account (a TokenRequest: the test API
// server runs no token controller to fill the Secret).
async function pluginCredentials(kubeconfigPath) {
  const kube = client(kubeconfigPath);
  const exists = [200, 201, 409];
  const objects = YAML.parseAllDocuments(fs.readFileSync(PLUGIN_RBAC, 'utf8')).map(d => d.toJS()).filter(Boolean);
  let sa;
  for (const o of objects) {
    const collection = COLLECTIONS[o.kind];
    if (!collection) throw new Error(`${PLUGIN_RBAC}: no collection known for kind ${o.kind}`);
    const ns = o.metadata.namespace;
    if (ns) await kube.must('POST', '/api/v1/namespaces', { metadata: { name: ns } }, exists);
    await kube.must('POST', collection(ns), o, exists);
    if (o.kind === 'ServiceAccount') sa = o.metadata;
  }
  if (!sa) throw new Error(`${PLUGIN_RBAC} defines no ServiceAccount`);
  const tr = await kube.must('POST', `/api/v1/namespaces/${sa.namespace}/serviceaccounts/${sa.name}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 7200 } });
  return { url: kube.kubeconfig.server, caData: kube.kubeconfig.caData, token: tr.status.token };
}

module.exports = { client };

if (require.main === module) {
  const [cmd, kubeconfig] = process.argv.slice(2);
  if (cmd !== 'plugin-credentials' || !kubeconfig) {
    console.error('usage: node src/k8s.js plugin-credentials <kubeconfig>');
    process.exit(2);
  }
  pluginCredentials(kubeconfig).then(
    c => console.log(JSON.stringify(c)),
    err => { console.error(`creating the Kubernetes plugin's credentials: ${err.message}`); process.exit(1); },
  );
}
