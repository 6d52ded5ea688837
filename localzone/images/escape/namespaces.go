package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// child runs the part of an attempt that needs a process of its own, started by the checks as
// `/proc/self/exe <mode>`; it prints what it found as JSON and exits with its status.
func child(mode string) int {
	switch mode {
	case "identity":
		// Whatever namespaces it was started in: who it is there and what it holds.
		status := map[string]string{}
		for _, line := range lines("/proc/self/status") {
			key, value, _ := strings.Cut(line, ":")
			switch key {
			case "Uid", "Gid", "CapEff", "CapPrm", "NoNewPrivs":
				status[key] = strings.Join(strings.Fields(value), " ")
			}
		}
		status["euid"] = fmt.Sprint(os.Geteuid())
		out, _ := json.Marshal(status)
		fmt.Println(string(out))
		return 0
	case "mount-in-userns":
		// In a user namespace of its own, with its mount namespace: root there may mount a tmpfs.
		err := unix.Mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m")
		if err != nil {
			fmt.Println(errText(err))
			return 1
		}
		fmt.Println("mounted a tmpfs on /tmp")
		return 0
	case "sleep":
		time.Sleep(30 * time.Second)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown mode %q\n", mode)
	return 2
}

// self starts this binary again in a mode, with extra process attributes.
func self(mode string, attr *syscall.SysProcAttr) *exec.Cmd {
	cmd := exec.Command("/proc/self/exe", mode)
	cmd.SysProcAttr = attr
	return cmd
}

// namespaceChecks create each kind of namespace in a new process (a multi-threaded process
// cannot unshare a user namespace, and Go's runtime is multi-threaded).
func namespaceChecks() []Check {
	const cat = "namespace"
	var checks []Check
	kinds := []struct {
		name  string
		flag  uintptr
		about string
	}{
		{"user", unix.CLONE_NEWUSER, "a user namespace (root inside it, with every capability there)"},
		{"mount", unix.CLONE_NEWNS, "a mount namespace"},
		{"net", unix.CLONE_NEWNET, "a network namespace"},
		{"pid", unix.CLONE_NEWPID, "a PID namespace"},
		{"uts", unix.CLONE_NEWUTS, "a UTS namespace"},
		{"ipc", unix.CLONE_NEWIPC, "an IPC namespace"},
		{"cgroup", unix.CLONE_NEWCGROUP, "a cgroup namespace"},
	}
	for _, k := range kinds {
		cmd := self("identity", &syscall.SysProcAttr{Cloneflags: k.flag})
		out, err := cmd.Output()
		checks = append(checks, outcome(cat, "unshare-"+k.name, "start a process in "+k.about, err,
			"started: "+strings.TrimSpace(string(out))))
	}
	uid, gid := os.Getuid(), os.Getgid()
	cmd := self("mount-in-userns", &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}},
	})
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Run()
	if err != nil && stdout.Len() > 0 {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stdout.String()))
	}
	checks = append(checks, outcome(cat, "userns-mount", "mount a tmpfs as root of a new user namespace", err,
		strings.TrimSpace(stdout.String())))
	checks = append(checks, setnsCheck())
	return checks
}

// setnsCheck joins PID 1's network namespace: on a pod that shares its PID namespace, or
// anywhere the host's PID 1 were visible, that would be another container's or the host's.
// (A mount or user namespace cannot be joined by a multi-threaded process at all, so trying
// those would prove nothing.)
func setnsCheck() Check {
	const attempt = "join PID 1's network namespace with setns"
	f, err := os.Open("/proc/1/ns/net")
	if err != nil {
		return blocked("namespace", "setns-pid1-net", attempt, errText(err))
	}
	defer f.Close()
	done := make(chan error, 1)
	go func() {
		// setns changes the calling thread only. A goroutine that ends still locked to its
		// thread takes the thread with it, so a thread that did join never runs Go code again.
		runtime.LockOSThread()
		err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
		done <- err
		if err != nil {
			runtime.UnlockOSThread()
		}
	}()
	return outcome("namespace", "setns-pid1-net", attempt, <-done, "joined PID 1's network namespace")
}
