// Command echo is the local zone's test app: an HTTP server that reports the environment it
// runs in, and probes what it can reach from there (other addresses, names, URLs, its project's
// database and bucket), so tests observe a pod from the inside.
//
// It listens on $PORT (8080 by default). On SIGTERM it keeps serving for $SHUTDOWN_DELAY
// (default 3s) while its readiness check fails, so the endpoint is removed before the listener
// closes, then finishes the requests in flight and exits: a rollout loses no request.
//
//	GET /          JSON: env, hostname, pid, uid/gid, the request
//	GET /healthz   200 while serving, 503 once shutting down
//	GET /version   JSON: $VERSION (set it per rollout) and the hostname
//	GET /probe?addr=host:port&proto=tcp|udp&timeout=2s
//	GET /dns?name=kubernetes.default
//	GET /http?url=http://…&host=…&insecure=1
//	GET /db        with $DATABASE_URL: create a table, insert, count
//	GET /s3        with $AWS_* and $S3_BUCKET: put, get and delete an object
//	GET /log?lines=N  writes N numbered lines to stdout (1 to 100000), for log tests
//	GET /burn?seconds=N&threads=T  spins T threads (1 to 4) for N seconds (1 to 300) in the
//	               background, for resource metrics tests
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// version is set at link time to the image's tag.
var version = "dev"

var draining atomic.Bool

func main() {
	port := envOr("PORT", "8080")
	delay := durationEnv("SHUTDOWN_DELAY", 3*time.Second)
	timeout := durationEnv("SHUTDOWN_TIMEOUT", 20*time.Second)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", handleRoot)
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.HandleFunc("GET /version", handleVersion)
	mux.HandleFunc("GET /probe", handleProbe)
	mux.HandleFunc("GET /dns", handleDNS)
	mux.HandleFunc("GET /http", handleHTTP)
	mux.HandleFunc("GET /db", handleDB)
	mux.HandleFunc("GET /s3", handleS3)
	mux.HandleFunc("GET /log", handleLog)
	mux.HandleFunc("GET /burn", handleBurn)

	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	listener, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		log.Fatalf("listen on %s: %v", srv.Addr, err)
	}
	log.Printf("echo %s listening on %s (VERSION=%q)", version, listener.Addr(), os.Getenv("VERSION"))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-served:
		log.Fatalf("serve: %v", err)
	case s := <-signals:
		log.Printf("got %v: failing readiness, serving %s more", s, delay)
	}
	draining.Store(true)
	time.Sleep(delay)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Printf("shutdown: %v", err)
		os.Exit(1)
	}
	log.Printf("stopped")
}

func handleRoot(w http.ResponseWriter, r *http.Request) {
	hostname, _ := os.Hostname()
	groups, _ := os.Getgroups()
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[k] = strings.Join(v, ", ")
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"app":      "echo",
		"version":  os.Getenv("VERSION"),
		"image":    version,
		"hostname": hostname,
		"pid":      os.Getpid(),
		"uid":      os.Getuid(),
		"gid":      os.Getgid(),
		"euid":     os.Geteuid(),
		"groups":   groups,
		"env":      env,
		"request": map[string]any{
			"method":  r.Method,
			"host":    r.Host,
			"uri":     r.RequestURI,
			"remote":  r.RemoteAddr,
			"headers": headers,
		},
	})
}

func handleHealth(w http.ResponseWriter, _ *http.Request) {
	if draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func handleVersion(w http.ResponseWriter, _ *http.Request) {
	hostname, _ := os.Hostname()
	writeJSON(w, http.StatusOK, map[string]string{"version": os.Getenv("VERSION"), "hostname": hostname})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(body)
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func durationEnv(key string, fallback time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return fallback
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		log.Fatalf("%s=%q: %v", key, v, err)
	}
	return d
}

// milliseconds since start, rounded to a tenth.
func since(start time.Time) float64 {
	return float64(time.Since(start).Microseconds()/100) / 10
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

var errMissing = errors.New("missing")

func required(r *http.Request, name string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return "", fmt.Errorf("query parameter %s is %w", name, errMissing)
	}
	return v, nil
}

// handleLog writes numbered lines to stdout, which the kubelet keeps as the container's log.
func handleLog(w http.ResponseWriter, r *http.Request) {
	lines, err := strconv.Atoi(r.URL.Query().Get("lines"))
	if err != nil || lines < 1 || lines > 100000 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "lines must be 1 to 100000"})
		return
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 1; i <= lines; i++ {
		fmt.Fprintf(out, "echo log line %d of %d\n", i, lines)
	}
	if err := out.Flush(); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"lines": lines})
}
