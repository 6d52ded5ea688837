package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user every image runs as: Pod Security's `restricted` level requires a non-root user,
// and the kubelet can only verify that before starting the container when it is numeric.
const (
	userID   = 65532
	userName = "nonroot"
)

// epoch is every file's and the image's timestamp, so that rebuilding changes no digest.
var epoch = time.Unix(0, 0).UTC()

// passwd and group name the non-root user, for programs that look their user up.
var (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\nnonroot:x:65532:\n"
)

type entry struct {
	name string
	mode int64
	uid  int
	dir  bool
	body []byte
}

// rootfs lists the layer's files in the order they are written: the binary at /<name>, owned
// by root so the program cannot replace itself, a sticky world-writable /tmp, and the user's home.
func rootfs(name string, binary []byte) []entry {
	return []entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/" + userName + "/", mode: 0o755, uid: userID, dir: true},
		{name: "tmp/", mode: 0o1777, dir: true},
		{name: name, mode: 0o755, body: binary},
	}
}

// layerTar writes the entries as an uncompressed tar with fixed times and owners.
func layerTar(entries []entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.uid,
			ModTime: epoch,
		}
		if e.dir {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// binaryLayer is the image's one layer: the program and the few files around it.
func binaryLayer(name, binaryPath string) (v1.Layer, error) {
	binary, err := os.ReadFile(binaryPath)
	if err != nil {
		return nil, err
	}
	contents, err := layerTar(rootfs(name, binary))
	if err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(
		func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(contents)), nil },
		tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressionLevel(gzip.BestCompression),
		tarball.WithCompressedCaching,
	)
}
