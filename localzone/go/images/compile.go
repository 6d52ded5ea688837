package main

import (
	"fmt"
	"os"
	"os/exec"
)

// compile builds the image's program as a static linux/amd64 binary. The module's go.sum must
// be complete (`-mod=readonly`): an image is built from committed sources only. VCS stamping is
// off, since whether the work tree is clean would otherwise change the binary and its digest.
func compile(spec imageSpec, binary string) error {
	cmd := exec.Command("go", "build",
		"-trimpath",
		"-buildvcs=false",
		"-ldflags", "-s -w -X main.version="+spec.tag,
		"-o", binary,
		".",
	)
	cmd.Dir = spec.src
	cmd.Env = append(os.Environ(),
		"GOOS=linux",
		"GOARCH=amd64",
		"CGO_ENABLED=0",
		"GOFLAGS=-mod=readonly",
	)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build in %s: %w", spec.src, err)
	}
	return nil
}
