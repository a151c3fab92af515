// Not Go code: a separate, empty module so that the go tool (and with it
// `go test ./...`, `go vet ./...` and `make lint`) stops at this directory
// and never walks into node_modules, where npm packages such as flatted
// ship Go sources. npm does not read this file.
module github.com/redhat-ai-dev/rhoai-rhdh-connector/e2e/backstage
