package main

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// image assembles the OCI image: one layer, the program as entrypoint, run as the non-root user.
func image(spec imageSpec, binary string) (v1.Image, error) {
	layer, err := binaryLayer(spec.name, binary)
	if err != nil {
		return nil, err
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: epoch},
			CreatedBy: "pluskube-image-builder " + spec.name,
			Comment:   "static Go binary built from localzone/images/" + spec.name,
		},
	})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: epoch}
	cfg.OS = "linux"
	cfg.Architecture = "amd64"
	cfg.Author = "pluskube"
	ports := map[string]struct{}{}
	for _, p := range spec.expose {
		ports[p] = struct{}{}
	}
	cfg.Config = v1.Config{
		Entrypoint:   []string{"/" + spec.name},
		User:         fmt.Sprintf("%d:%d", userID, userID),
		WorkingDir:   "/",
		Env:          []string{"HOME=/home/" + userName},
		ExposedPorts: ports,
		Labels: map[string]string{
			"org.opencontainers.image.title":   spec.name,
			"org.opencontainers.image.version": spec.tag,
			"org.opencontainers.image.vendor":  "pluskube",
		},
	}
	return mutate.ConfigFile(img, cfg)
}

func summarize(spec imageSpec, img v1.Image, binary, tarPath string) (*Summary, error) {
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	configDigest, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		return nil, fmt.Errorf("expected one layer: %v", err)
	}
	layerDigest, err := layers[0].Digest()
	if err != nil {
		return nil, err
	}
	layerSize, err := layers[0].Size()
	if err != nil {
		return nil, err
	}
	binInfo, err := os.Stat(binary)
	if err != nil {
		return nil, err
	}
	tarInfo, err := os.Stat(tarPath)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	ports := append([]string{}, spec.expose...)
	return &Summary{
		Name:         spec.name,
		Ref:          spec.ref,
		Tag:          spec.tag,
		Digest:       digest.String(),
		ConfigDigest: configDigest.String(),
		LayerDigest:  layerDigest.String(),
		LayerSize:    layerSize,
		BinarySize:   binInfo.Size(),
		Tar:          tarPath,
		TarSize:      tarInfo.Size(),
		User:         cfg.Config.User,
		Entrypoint:   cfg.Config.Entrypoint,
		ExposedPorts: ports,
	}, nil
}
