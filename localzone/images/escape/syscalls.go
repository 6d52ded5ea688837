package main

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// syscallChecks call what the runtime's default seccomp profile and the dropped capabilities
// are there to refuse. Each call is harmless if it succeeds: it sets what is already set, or
// passes arguments the kernel rejects right after its privilege check (so success is told by
// an error other than EPERM).
func syscallChecks() []Check {
	const cat = "syscall"
	hostname, _ := os.Hostname()
	checks := []Check{
		outcome(cat, "sethostname", "set the hostname (to its current value)",
			unix.Sethostname([]byte(hostname)), "hostname set"),
		outcome(cat, "clock-settime", "set the system clock (to the current time)",
			clockSet(), "clock set"),
		outcome(cat, "keyctl-join-session", "create a kernel keyring (keyrings are not namespaced)",
			keyctlJoin(), "joined a new session keyring"),
		outcome(cat, "add-key", "add a key to the process keyring", addKey(), "key added"),
		outcome(cat, "bpf-map-create", "create an eBPF map", bpfMap(), "created an eBPF map"),
		outcome(cat, "perf-event-open", "open a perf event on this process", perfOpen(), "opened a perf event"),
		outcome(cat, "io-uring-setup", "set up an io_uring", ioUring(), "set up an io_uring"),
		outcome(cat, "userfaultfd", "create a userfaultfd", userfaultfd(), "created a userfaultfd"),
		outcome(cat, "iopl", "raise the I/O privilege level (iopl 3)", iopl(), "I/O privilege level raised (and lowered again)"),
		pastPermission(cat, "init-module", "load a kernel module (an invalid one)",
			unix.InitModule([]byte("not a kernel module"), "")),
		pastPermission(cat, "delete-module", "unload a kernel module (one that does not exist)",
			unix.DeleteModule("pluskube_no_such_module", unix.O_NONBLOCK)),
		pastPermission(cat, "reboot", "reboot (with invalid magic numbers)", reboot()),
		pastPermission(cat, "kexec-load", "load a new kernel (with no segments)", kexecLoad()),
		outcome(cat, "syslog-read", "read the kernel log with syslog(2)", syslogRead(), "read the kernel log"),
	}
	return checks
}

// pastPermission is for calls given arguments the kernel refuses after its privilege check:
// EPERM (from the capability check or seccomp) and ENOSYS are blocked, any other answer means
// the call got past the check.
func pastPermission(cat, name, attempt string, err error) Check {
	if err == unix.EPERM {
		return blocked(cat, name, attempt, errText(err))
	}
	if err == unix.ENOSYS {
		return blocked(cat, name, attempt, errText(err)+" (the kernel or the seccomp filter has no such call)")
	}
	if err == nil {
		return escaped(cat, name, attempt, "the call succeeded")
	}
	return escaped(cat, name, attempt, "the call got past the privilege check and failed later with "+errText(err))
}

func iopl() error {
	err := unix.Iopl(3)
	if err == nil {
		_ = unix.Iopl(0)
	}
	return err
}

func clockSet() error {
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &now); err != nil {
		return err
	}
	_, _, errno := unix.Syscall(unix.SYS_CLOCK_SETTIME, unix.CLOCK_REALTIME, uintptr(unsafe.Pointer(&now)), 0)
	return errnoErr(errno)
}

func keyctlJoin() error {
	_, err := unix.KeyctlJoinSessionKeyring("pluskube-escape")
	return err
}

func addKey() error {
	_, err := unix.AddKey("user", "pluskube-escape", []byte("x"), unix.KEY_SPEC_PROCESS_KEYRING)
	return err
}

func bpfMap() error {
	attr := struct {
		mapType, keySize, valueSize, maxEntries uint32
	}{mapType: 2 /* BPF_MAP_TYPE_ARRAY */, keySize: 4, valueSize: 4, maxEntries: 1}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, 0 /* BPF_MAP_CREATE */, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno == 0 {
		unix.Close(int(fd))
	}
	return errnoErr(errno)
}

func perfOpen() error {
	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_SOFTWARE,
		Config: unix.PERF_COUNT_SW_CPU_CLOCK,
		Bits:   unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv,
	}
	attr.Size = uint32(unsafe.Sizeof(attr))
	fd, err := unix.PerfEventOpen(&attr, 0, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

func ioUring() error {
	var params [120]byte // struct io_uring_params
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&params[0])), 0)
	if errno == 0 {
		unix.Close(int(fd))
	}
	return errnoErr(errno)
}

func userfaultfd() error {
	fd, _, errno := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|unix.O_NONBLOCK, 0, 0)
	if errno == 0 {
		unix.Close(int(fd))
	}
	return errnoErr(errno)
}

func reboot() error {
	// Magic numbers of zero: a caller holding CAP_SYS_BOOT gets EINVAL, nothing reboots.
	_, _, errno := unix.Syscall6(unix.SYS_REBOOT, 0, 0, unix.LINUX_REBOOT_CMD_CAD_OFF, 0, 0, 0)
	return errnoErr(errno)
}

func kexecLoad() error {
	// An entry point with no segments and an unknown architecture flag: refused with EINVAL
	// after the CAP_SYS_BOOT check.
	_, _, errno := unix.Syscall6(unix.SYS_KEXEC_LOAD, 0, 0, 0, 0xffff0000, 0, 0)
	return errnoErr(errno)
}

func syslogRead() error {
	buf := make([]byte, 256)
	_, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	return err
}

func errnoErr(errno unix.Errno) error {
	if errno == 0 {
		return nil
	}
	return errno
}
