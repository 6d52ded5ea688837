// Command misbehave breaks the rules a zone enforces on containers, so tests can watch the
// zone enforce them. $MODE chooses what it does from the start:
//
//	serve (default)  HTTP only; /oom, /cpu and /crash start misbehaving on request
//	oom              allocate and touch memory until the kernel kills the container
//	cpu              burn $CPU_THREADS threads (default 2) and report the CPU time it got
//	crash            exit with status $EXIT_CODE (default 3) after $CRASH_AFTER (default 1s)
//
// Whatever the mode, it serves on $PORT (8080 by default): GET /healthz, GET / (the mode and
// the latest CPU report), GET /cpu (the CPU reports), POST or GET /oom and /crash.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// version is set at link time to the image's tag.
var version = "dev"

func main() {
	mode := envOr("MODE", "serve")
	port := envOr("PORT", "8080")
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.Printf("misbehave %s: mode %s, pid %d, uid %d", version, mode, os.Getpid(), os.Getuid())

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"mode": mode, "cpu": cpu.latest(), "allocatedMiB": allocatedMiB()})
	})
	mux.HandleFunc("/cpu", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("start") == "1" {
			go burnCPU(intEnv("CPU_THREADS", 2), durationEnv("CPU_INTERVAL", 5*time.Second))
		}
		writeJSON(w, map[string]any{"reports": cpu.all()})
	})
	mux.HandleFunc("/oom", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{"status": "allocating until killed"})
		go allocate()
	})
	mux.HandleFunc("/crash", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]string{"status": "crashing"})
		go crash(0)
	})
	go func() {
		if err := http.ListenAndServe(":"+port, mux); err != nil {
			log.Fatalf("listen on :%s: %v", port, err)
		}
	}()

	switch mode {
	case "serve":
	case "oom":
		go allocate()
	case "cpu":
		go burnCPU(intEnv("CPU_THREADS", 2), durationEnv("CPU_INTERVAL", 5*time.Second))
	case "crash":
		go crash(durationEnv("CRASH_AFTER", time.Second))
	default:
		log.Fatalf("MODE=%q: want serve, oom, cpu or crash", mode)
	}
	select {}
}

var (
	allocMu sync.Mutex
	// held keeps every chunk reachable, so the garbage collector frees none of it.
	held [][]byte
)

func allocatedMiB() int {
	allocMu.Lock()
	defer allocMu.Unlock()
	return len(held) * chunkMiB
}

const chunkMiB = 16

// allocate takes memory in chunks and writes every page of each, so the memory is resident
// and charged to the container, logging as it goes; the kernel's OOM killer ends it.
func allocate() {
	step := durationEnv("OOM_STEP", 50*time.Millisecond)
	for {
		chunk := make([]byte, chunkMiB<<20)
		for i := 0; i < len(chunk); i += 4096 {
			chunk[i] = 1
		}
		allocMu.Lock()
		held = append(held, chunk)
		n := len(held)
		allocMu.Unlock()
		log.Printf("allocated %d MiB", n*chunkMiB)
		time.Sleep(step)
	}
}

func crash(after time.Duration) {
	code := intEnv("EXIT_CODE", 3)
	time.Sleep(after)
	log.Printf("crashing with exit status %d", code)
	os.Exit(code)
}

// cpuReport is the CPU time the process got over one interval of wall time: under a CPU
// limit of L cores, cores stays near L however many threads burn.
type cpuReport struct {
	At       time.Time `json:"at"`
	Threads  int       `json:"threads"`
	WallSec  float64   `json:"wallSeconds"`
	CPUSec   float64   `json:"cpuSeconds"`
	Cores    float64   `json:"cores"`
	Interval string    `json:"interval"`
}

type cpuReports struct {
	mu      sync.Mutex
	reports []cpuReport
	running bool
}

var cpu cpuReports

func (c *cpuReports) add(r cpuReport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reports = append(c.reports, r)
	if len(c.reports) > 120 {
		c.reports = c.reports[1:]
	}
}

func (c *cpuReports) latest() *cpuReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.reports) == 0 {
		return nil
	}
	r := c.reports[len(c.reports)-1]
	return &r
}

func (c *cpuReports) all() []cpuReport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]cpuReport{}, c.reports...)
}

func burnCPU(threads int, interval time.Duration) {
	cpu.mu.Lock()
	if cpu.running {
		cpu.mu.Unlock()
		return
	}
	cpu.running = true
	cpu.mu.Unlock()
	for i := 0; i < threads; i++ {
		go func() {
			x := uint64(i + 1)
			for {
				// A xorshift loop: pure computation, no memory traffic, no system calls.
				for j := 0; j < 1<<20; j++ {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
				}
				sink.Store(x)
			}
		}()
	}
	lastWall, lastCPU := time.Now(), processCPU()
	for {
		time.Sleep(interval)
		wall, used := time.Now(), processCPU()
		r := cpuReport{
			At:       wall.UTC(),
			Threads:  threads,
			WallSec:  wall.Sub(lastWall).Seconds(),
			CPUSec:   (used - lastCPU).Seconds(),
			Interval: interval.String(),
		}
		r.Cores = r.CPUSec / r.WallSec
		cpu.add(r)
		line, _ := json.Marshal(r)
		fmt.Println(string(line))
		lastWall, lastCPU = wall, used
	}
}

// processCPU is the user and system time of every thread of the process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func writeJSON(w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/json")
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

func intEnv(key string, fallback int) int {
	v := os.Getenv(key)
	if v == "" {
		return fallback
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		log.Fatalf("%s=%q: %v", key, v, err)
	}
	return n
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

// sink keeps the burning loops' results observable, so the compiler cannot drop them.
var sink atomic.Uint64
