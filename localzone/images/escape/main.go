// Command escape tries, from inside a container, the known ways out of it: host files,
// mounts, privileges, namespaces, ptrace, dangerous system calls, raw sockets, and the node's
// and cloud's control ports. Each attempt is a named check whose result is `blocked` (with the
// error or the reason) or `ESCAPED`. It runs every check once at start, prints the report as
// JSON on stdout, and serves it on $PORT (8080 by default) at `/`; `/healthz` answers once the
// report is ready, so a readiness probe says when to read it.
//
// Environment:
//
//	PORT               port to serve the report on
//	HOST_MARKER        a file that exists only on the host: finding it from inside is an escape
//	CONTAINERD_SOCKET  the node's containerd socket path on the host
//	ZONE_DIR           the zone's folder on the host
//	NODE_IPS           node addresses to try (default 10.254.254.1,10.244.0.1)
//	NODE_PORTS         node ports to try (default: kubelet, kube-proxy, the zone's control plane)
//	API_SERVICE        the API server's Service address (default 10.96.0.1:443)
//	PROBE_TIMEOUT      timeout of each connection attempt (default 2s)
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// version is set at link time to the image's tag.
var version = "dev"

func main() {
	if len(os.Args) > 1 {
		// The binary re-executes itself for the attempts that need a new process.
		os.Exit(child(os.Args[1]))
	}
	port := envOr("PORT", "8080")
	var report atomic.Pointer[Report]
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if report.Load() == nil {
			http.Error(w, "checks still running", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		r := report.Load()
		if r == nil {
			http.Error(w, "checks still running", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
	})
	go func() {
		if err := http.ListenAndServe(":"+port, mux); err != nil {
			log.Fatalf("listen on :%s: %v", port, err)
		}
	}()

	r := run()
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	report.Store(r)
	select {}
}

// Report is what the image serves and prints.
type Report struct {
	Image   string    `json:"image"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	Escaped int       `json:"escaped"`
	Blocked int       `json:"blocked"`
	Context Context   `json:"context"`
	Checks  []Check   `json:"checks"`
}

func run() *Report {
	start := time.Now()
	cfg := loadConfig()
	r := &Report{Image: version, Started: start.UTC(), Context: describe()}
	r.Checks = append(r.Checks, filesystemChecks(cfg)...)
	r.Checks = append(r.Checks, mountChecks()...)
	r.Checks = append(r.Checks, privilegeChecks()...)
	r.Checks = append(r.Checks, namespaceChecks()...)
	r.Checks = append(r.Checks, ptraceChecks()...)
	r.Checks = append(r.Checks, syscallChecks()...)
	r.Checks = append(r.Checks, networkChecks(cfg)...)
	for _, c := range r.Checks {
		if c.Result == Escaped {
			r.Escaped++
		} else {
			r.Blocked++
		}
	}
	r.Seconds = time.Since(start).Seconds()
	return r
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
