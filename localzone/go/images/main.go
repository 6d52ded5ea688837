// Command pluskube-image-builder builds one of the local zone's container images from the Go
// program in a folder: it compiles the program for linux/amd64 with cgo off, puts the static
// binary in a single layer with a non-root user, and writes an OCI image layout as a tar file
// that `ctr images import` names after the image's reference.
//
// The zone reaches no container registry, so its images are built here rather than pulled.
// Every timestamp is fixed and the tar is written in a fixed order, so the same sources and
// Go toolchain give the same image digest.
//
//	pluskube-image-builder -name echo -src DIR -tag TAG -out FILE.tar [-expose 8080/tcp]
//
// A JSON summary of the image (reference, digests, sizes) is printed on stdout.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// registryHost names the zone's own images; nothing is ever pulled from it.
const registryHost = "pluskube.local"

// Summary is what the builder prints once the tar file is written.
type Summary struct {
	Name         string   `json:"name"`
	Ref          string   `json:"ref"`
	Tag          string   `json:"tag"`
	Digest       string   `json:"digest"`
	ConfigDigest string   `json:"configDigest"`
	LayerDigest  string   `json:"layerDigest"`
	LayerSize    int64    `json:"layerSize"`
	BinarySize   int64    `json:"binarySize"`
	Tar          string   `json:"tar"`
	TarSize      int64    `json:"tarSize"`
	User         string   `json:"user"`
	Entrypoint   []string `json:"entrypoint"`
	ExposedPorts []string `json:"exposedPorts"`
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var spec imageSpec
	var out, summaryFile string
	var expose listFlag
	flag.StringVar(&spec.name, "name", "", "image name, e.g. echo (also the binary's name)")
	flag.StringVar(&spec.src, "src", "", "folder of the image's Go main package and module")
	flag.StringVar(&spec.tag, "tag", "", "image tag, a hash of the image's sources")
	flag.StringVar(&out, "out", "", "tar file to write")
	flag.StringVar(&summaryFile, "summary", "", "file to write the JSON summary to, besides stdout")
	flag.Var(&expose, "expose", "port the image exposes, e.g. 8080/tcp (repeatable)")
	flag.Parse()
	if spec.name == "" || spec.src == "" || spec.tag == "" || out == "" {
		flag.Usage()
		os.Exit(2)
	}
	spec.expose = expose
	// go build runs in the source folder; every path it is given must not depend on that.
	for _, p := range []*string{&spec.src, &out} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		*p = abs
	}
	spec.ref = fmt.Sprintf("%s/%s:%s", registryHost, spec.name, spec.tag)
	summary, err := build(spec, out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "building image %s: %v\n", spec.ref, err)
		os.Exit(1)
	}
	text, err := json.MarshalIndent(summary, "", "  ")
	if err == nil && summaryFile != "" {
		err = os.WriteFile(summaryFile, append(text, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "writing the summary of %s: %v\n", spec.ref, err)
		os.Exit(1)
	}
	fmt.Println(string(text))
}

type imageSpec struct {
	name   string
	src    string
	tag    string
	ref    string
	expose []string
}

func build(spec imageSpec, out string) (*Summary, error) {
	work, err := os.MkdirTemp(filepath.Dir(out), ".build-"+spec.name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	binary := filepath.Join(work, spec.name)
	if err := compile(spec, binary); err != nil {
		return nil, err
	}
	img, err := image(spec, binary)
	if err != nil {
		return nil, err
	}
	// Written beside the target and renamed, so a reader never sees half an archive.
	partial := filepath.Join(work, "image.tar")
	if err := writeArchive(partial, img, spec.ref, spec.tag); err != nil {
		return nil, err
	}
	if err := os.Rename(partial, out); err != nil {
		return nil, err
	}
	return summarize(spec, img, binary, out)
}
