package main

import (
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// burning counts the goroutines spinning for /burn, so a second call does not pile more on.
var burning atomic.Int32

// handleBurn spins `threads` goroutines (1 to 4) for `seconds` (1 to 300) in the background and
// answers at once with its hostname: the pod's CPU use rises to what its limit lets it have, for tests of resource
// metrics. A call while a burn runs changes nothing and says how many threads are spinning.
func handleBurn(w http.ResponseWriter, r *http.Request) {
	seconds, err := strconv.Atoi(r.URL.Query().Get("seconds"))
	if err != nil || seconds < 1 || seconds > 300 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "seconds must be 1 to 300"})
		return
	}
	threads := 1
	if t := r.URL.Query().Get("threads"); t != "" {
		threads, err = strconv.Atoi(t)
		if err != nil || threads < 1 || threads > 4 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "threads must be 1 to 4"})
			return
		}
	}
	hostname, _ := os.Hostname()
	if !burning.CompareAndSwap(0, int32(threads)) {
		writeJSON(w, http.StatusConflict, map[string]any{"burning": burning.Load(), "hostname": hostname})
		return
	}
	until := time.Now().Add(time.Duration(seconds) * time.Second)
	var left atomic.Int32
	left.Store(int32(threads))
	for range threads {
		go func() {
			x := uint64(1)
			for time.Now().Before(until) {
				for range 100_000 {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
			sink.Add(x)
			if left.Add(-1) == 0 {
				burning.Store(0)
			}
		}()
	}
	writeJSON(w, http.StatusAccepted, map[string]any{
		"burning":  threads,
		"until":    until.UTC().Format(time.RFC3339),
		"hostname": hostname,
	})
}

// sink keeps the compiler from dropping the spinning loop's arithmetic.
var sink atomic.Uint64
