// A Backstage backend with the catalog, the RHDH model-catalog entity
// provider and the Kubernetes plugin's backend, as RHDH runs them, for the
// connector's end-to-end test.
// Configuration: app-config.yaml (test/e2e/run.sh sets its variables).
'use strict';

const { createBackend } = require('@backstage/backend-defaults');
const { createBackendModule } = require('@backstage/backend-plugin-api');
const { catalogProcessingExtensionPoint } = require('@backstage/plugin-catalog-node');
const {
  aiModelServerApiEntityValidator,
} = require('@red-hat-developer-hub/backstage-plugin-catalog-model-ai-model-server');

// The catalog drops an entity whose kind no processor validates; the
// model-catalog module emits AiModelServerAPI entities but leaves that to
// the app, as RHDH does with this processor.
class AiModelServerApiProcessor {
  getProcessorName() {
    return 'AiModelServerApiProcessor';
  }

  async validateEntityKind(entity) {
    return aiModelServerApiEntityValidator.check(entity);
  }
}

const aiModelServerApiKind = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'ai-model-server-api-kind',
  register(env) {
    env.registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.addProcessor(new AiModelServerApiProcessor());
      },
    });
  },
});

const backend = createBackend();
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@red-hat-developer-hub/backstage-plugin-catalog-backend-module-model-catalog'));
backend.add(aiModelServerApiKind);
// The Kubernetes tab's backend: the test asks it for a model server's pods.
backend.add(import('@backstage/plugin-kubernetes-backend'));
backend.start();
