// Command pause holds a pod's namespaces open: the container runtime starts it first in every
// pod sandbox and the pod's containers join its namespaces. As PID 1 of a pod that shares its
// process namespace it also reaps orphaned children, which would otherwise stay zombies.
//
// It behaves like the upstream Kubernetes pause container: SIGINT and SIGTERM end it with
// status 0, SIGCHLD reaps every exited child, `-v` prints its version.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at link time to the image's tag.
var version = "dev"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Printf("pause.go (pluskube) %s\n", version)
		return
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "Warning: pause should be the first process")
	}
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s == syscall.SIGCHLD {
			reap()
			continue
		}
		fmt.Fprintf(os.Stderr, "Shutting down, got signal: %v\n", s)
		os.Exit(0)
	}
}

// reap collects every exited child; several exits may arrive as one SIGCHLD.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
