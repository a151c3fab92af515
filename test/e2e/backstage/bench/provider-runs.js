// Drives the published RHDH 1.x model-catalog entity provider
// (@red-hat-developer-hub/backstage-plugin-catalog-backend-module-model-catalog)
// against a running location, with no Backstage around it: the same
// provider class the e2e backend loads, built by its own fromConfig, with
// minimal stand-ins for the services it asks for. Each provider run is what
// RHDH does on every schedule: GET /list, then one Promise.all over
// GET /models/<uri> for every listed uri, then one full applyMutation.
//
// Usage: node provider-runs.js --base-url http://127.0.0.1:9090 [--runs 3]
//                               [--max-connections N]
//
// --max-connections caps the sockets Node's fetch opens to location (the
// plugin's default, and RHDH's, is no cap: a socket per fetch, all
// connected at once). Only for a machine whose open-files limit is below
// the number of records: the cap changes how many requests location holds
// at once, not what it serves.
//
// Prints one JSON object on stdout: the runs, the failed runs (the
// provider logs the error and swallows it, so the logger's error calls are
// the failures), the uris /list named and the entities each run handed to
// the catalog, the fetches and failed fetches (a wrapper around the
// global fetch the plugin calls counts them; it changes nothing) and the
// seconds each run took.
// test/provider (go test -bench) starts location and runs this.
'use strict';

const { parseArgs } = require('node:util');
const { ConfigReader } = require('@backstage/config');
const {
  ModelCatalogResourceEntityProvider,
} = require('@red-hat-developer-hub/backstage-plugin-catalog-backend-module-model-catalog/dist/providers/ModelCatalogResourceEntityProvider.cjs.js');

const PROVIDER_ID = 'development';

function options() {
  const { values } = parseArgs({
    options: {
      'base-url': { type: 'string' },
      runs: { type: 'string', default: '3' },
      'max-connections': { type: 'string', default: '0' },
    },
  });
  const runs = Number(values.runs);
  const maxConnections = Number(values['max-connections']);
  if (!values['base-url'] || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(maxConnections) || maxConnections < 0) {
    throw new Error('usage: node provider-runs.js --base-url URL [--runs N>=1] [--max-connections N>=0, 0: no cap]');
  }
  return { baseUrl: values['base-url'].replace(/\/+$/, ''), runs, maxConnections };
}

// capConnections makes the global fetch, which the plugin calls, open at
// most n sockets per origin; requests beyond them wait in Node for a free
// one. The undici package's global dispatcher is the one Node's built-in
// fetch uses. It returns a function giving the most sockets seen open at
// once, sampled every 5 ms, so the report shows the cap held.
function capConnections(n) {
  const { Agent, setGlobalDispatcher } = require('undici');
  const agent = new Agent({ connections: n });
  setGlobalDispatcher(agent);
  let peak = 0;
  setInterval(() => {
    for (const s of Object.values(agent.stats)) {
      peak = Math.max(peak, s.connected);
    }
  }, 5).unref();
  return () => peak;
}

// counting wraps the global fetch to count every call and every failure
// (a rejected fetch or a non-2xx answer), keeping the first few messages.
function countingFetch(counts) {
  const real = globalThis.fetch;
  return async (...args) => {
    counts.fetches++;
    try {
      const res = await real(...args);
      if (res.ok && String(args[0]).endsWith('/list')) {
        counts.listed = ((await res.clone().json()).uris || []).length;
      }
      if (!res.ok) {
        fail(counts, `${res.status} ${res.statusText} for ${args[0]}`);
      }
      return res;
    } catch (err) {
      const cause = err.cause ? `: ${err.cause.code || err.cause.message}` : '';
      fail(counts, `${err.message}${cause} for ${args[0]}`);
      throw err;
    }
  };
}

function fail(counts, msg) {
  counts.failedFetches++;
  if (counts.fetchErrors.length < 5) {
    counts.fetchErrors.push(msg);
  }
}

// fakeLogger is Backstage's LoggerService with nothing printed: error calls
// are collected, since they are how the provider reports a failed run.
function fakeLogger(errors) {
  const logger = {
    error: (message, meta) => errors.push(meta?.message ? `${message}: ${meta.message}` : message),
    warn: () => {},
    info: () => {},
    debug: () => {},
    child: () => logger,
  };
  return logger;
}

async function main() {
  const { baseUrl, runs, maxConnections } = options();
  const peakConnections = maxConnections > 0 ? capConnections(maxConnections) : () => 0;
  const counts = { fetches: 0, failedFetches: 0, fetchErrors: [], listed: 0 };
  globalThis.fetch = countingFetch(counts);
  // The plugin prints one line per document it fetches.
  console.log = () => {};

  const errors = [];
  const config = new ConfigReader({ catalog: { providers: { modelCatalog: { [PROVIDER_ID]: {} } } } });
  const deps = {
    config,
    logger: fakeLogger(errors),
    discovery: { getBaseUrl: async () => baseUrl, getExternalBaseUrl: async () => baseUrl },
    auth: {
      getOwnServiceCredentials: async () => ({ $$type: '@backstage/BackstageCredentials', principal: { type: 'service', subject: 'bench' } }),
      getPluginRequestToken: async () => ({ token: 'provider-bench-token' }),
    },
  };
  // The catalog's scheduler runs fn on a schedule; here each run is awaited.
  const schedule = { run: async ({ fn }) => fn() };
  const [provider] = ModelCatalogResourceEntityProvider.fromConfig(deps, { schedule });

  const result = { runs, failedRuns: 0, listed: [], entities: [], seconds: [], fetches: 0, failedFetches: 0, errors: [], fetchErrors: [] };
  let entities = 0;
  const connection = {
    applyMutation: async (m) => {
      entities = m.entities.length;
    },
    refresh: async () => {},
  };
  let connected = false;
  for (let i = 0; i < runs; i++) {
    entities = 0;
    counts.listed = 0;
    const errorsBefore = errors.length;
    const start = process.hrtime.bigint();
    if (!connected) {
      await provider.connect(connection); // connect runs the first provider run
      connected = true;
    } else {
      await provider.scheduleFn(); // what the catalog's scheduler calls
    }
    result.seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    result.entities.push(entities);
    result.listed.push(counts.listed);
    if (errors.length > errorsBefore) {
      result.failedRuns++;
    }
  }
  result.nodeMaxRssMiB = process.resourceUsage().maxRSS / 1024;
  result.maxConnections = maxConnections;
  result.peakConnections = peakConnections();
  Object.assign(result, { fetches: counts.fetches, failedFetches: counts.failedFetches, errors: errors.slice(0, 5), fetchErrors: counts.fetchErrors });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`provider-runs: ${err.stack || err}\n`);
  process.exit(1);
});
