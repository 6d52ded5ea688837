// Command pulumi-resource-kubernetes serves the Kubernetes provider from its published module.
// The upstream main embeds files generated at release time that the module zip leaves out, so
// this main embeds the ones `npm run toolchain` generates from the module's schema.json.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, schema, terraformMapping)
}
