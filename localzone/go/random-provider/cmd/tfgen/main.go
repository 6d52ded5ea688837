// Command tfgen writes the bridged random provider's Pulumi schema (`tfgen schema --out DIR`),
// which the provider binary then embeds.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"pluskube.dev/localzone/go/random-provider/info"
)

// version is set by the linker (-X main.version=...).
var version = "0.0.0-dev"

func main() {
	tfgen.Main("random", info.Provider(version, nil))
}
