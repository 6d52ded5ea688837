package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func ptraceChecks() []Check {
	return []Check{ptraceOthers(), ptraceTracemeExec()}
}

// ptraceOthers attaches to every visible process that is not this one: in a pod of its own
// PID namespace there is none, which is the isolation that matters; PID 1 of a pod sharing
// its PID namespace is the sandbox, which runs as another container.
func ptraceOthers() Check {
	const attempt = "attach with ptrace to every other visible process (PID 1 included)"
	self := os.Getpid()
	var errs []string
	for _, pid := range pids() {
		if pid == self {
			continue
		}
		err := onLockedThread(func() error {
			if err := unix.PtraceAttach(pid); err != nil {
				return err
			}
			var status unix.WaitStatus
			_, _ = unix.Wait4(pid, &status, unix.WALL, nil)
			return unix.PtraceDetach(pid)
		})
		if err == nil {
			return escaped("ptrace", "ptrace-attach", attempt, fmt.Sprintf("attached to pid %d (%s)", pid, comm(pid)))
		}
		errs = append(errs, fmt.Sprintf("pid %d (%s): %s", pid, comm(pid), errText(err)))
	}
	if len(errs) == 0 {
		return blocked("ptrace", "ptrace-attach", attempt, "no other process is visible (the container has its own PID namespace)")
	}
	return blocked("ptrace", "ptrace-attach", attempt, strings.Join(errs, "; "))
}

// ptraceTracemeExec starts a child that asks to be traced and execs (the sequence of
// CVE-2019-13272, which gained root through a set-user-ID program): it counts as an escape
// only if the traced program runs with more privilege than this one.
func ptraceTracemeExec() Check {
	const attempt = "PTRACE_TRACEME then exec, and look for privilege gained by the traced program"
	var stdout bytes.Buffer
	err := onLockedThread(func() error {
		cmd := self("identity", &syscall.SysProcAttr{Ptrace: true})
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			return err
		}
		var status unix.WaitStatus
		if _, err := unix.Wait4(cmd.Process.Pid, &status, 0, nil); err != nil {
			return err
		}
		if err := unix.PtraceDetach(cmd.Process.Pid); err != nil {
			_ = cmd.Process.Kill()
			return err
		}
		return cmd.Wait()
	})
	if err != nil {
		return blocked("ptrace", "ptrace-traceme-exec", attempt, errText(err))
	}
	var identity map[string]string
	_ = json.Unmarshal(stdout.Bytes(), &identity)
	if identity["euid"] == "0" || strings.Trim(identity["CapEff"], "0") != "" {
		return escaped("ptrace", "ptrace-traceme-exec", attempt, "traced program runs with "+stdout.String())
	}
	return blocked("ptrace", "ptrace-traceme-exec", attempt,
		fmt.Sprintf("the traced program gained nothing (euid %s, CapEff %s)", identity["euid"], identity["CapEff"]))
}

// onLockedThread runs f on one OS thread: a tracee's tracer is the thread that attached.
func onLockedThread(f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		done <- f()
	}()
	return <-done
}

func comm(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
