// The last thing a container runtime does before the image's process starts, for harness/image.ts:
// enter the image's root and working directory, become its user with no capabilities (bounding,
// inheritable and ambient sets emptied, as with `capabilities: {drop: [ALL]}`) and no way to gain
// any (no_new_privs, as with `allowPrivilegeEscalation: false`), and exec the command with exactly
// the environment given. Run as root, from outside the root it enters: once it has chrooted there
// is nothing of the machine's left to exec, which is why no shell tool (chroot, setpriv, capsh)
// can do all of it in this order.
//
//	image-exec -root DIR -wd DIR -user UID:GID [-e NAME=VALUE]... -- COMMAND ARG...
package main

import (
	"flag"
	"fmt"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

const (
	prCapbsetDrop      = 24
	prSetNoNewPrivs    = 38
	prCapAmbient       = 47
	prCapAmbientClear  = 4
	linuxCapVersion3   = 0x20080522
	highestCapabilityS = 63
)

type env []string

func (e *env) String() string     { return strings.Join(*e, " ") }
func (e *env) Set(v string) error { *e = append(*e, v); return nil }

func init() { runtime.LockOSThread() } // prctl and capset act on the calling thread: the one that execs

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "image-exec: "+format+"\n", args...)
	os.Exit(127)
}

func prctl(option, arg uintptr) syscall.Errno {
	_, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, option, arg, 0, 0, 0, 0)
	return errno
}

// lookPath resolves a command the way the runtime does, on the image's PATH.
func lookPath(command string, environment []string) string {
	if strings.Contains(command, "/") {
		return command
	}
	search := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, variable := range environment {
		if value, ok := strings.CutPrefix(variable, "PATH="); ok {
			search = value
		}
	}
	for _, dir := range strings.Split(search, ":") {
		candidate := path.Join(dir, command)
		if info, err := os.Stat(candidate); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return candidate
		}
	}
	fail("%s: not found on PATH %s", command, search)
	return ""
}

func main() {
	root := flag.String("root", "", "the image's root directory")
	wd := flag.String("wd", "/", "working directory inside it")
	user := flag.String("user", "", "UID:GID")
	var environment env
	flag.Var(&environment, "e", "NAME=VALUE of the process's environment (repeat)")
	flag.Parse()
	command := flag.Args()
	ids := strings.Split(*user, ":")
	if *root == "" || len(command) == 0 || len(ids) != 2 {
		fail("usage: image-exec -root DIR -wd DIR -user UID:GID [-e NAME=VALUE]... -- COMMAND ARG...")
	}
	uid, errUID := strconv.Atoi(ids[0])
	gid, errGID := strconv.Atoi(ids[1])
	if errUID != nil || errGID != nil {
		fail("-user must be numeric UID:GID, not %q", *user)
	}
	if err := syscall.Chroot(*root); err != nil {
		fail("chroot %s: %v", *root, err)
	}
	if err := syscall.Chdir(*wd); err != nil {
		fail("chdir %s: %v", *wd, err)
	}
	for capability := 0; capability <= highestCapabilityS; capability++ {
		if errno := prctl(prCapbsetDrop, uintptr(capability)); errno != 0 && errno != syscall.EINVAL {
			fail("dropping capability %d from the bounding set: %v", capability, errno)
		}
	}
	if errno := prctl(prCapAmbient, prCapAmbientClear); errno != 0 {
		fail("clearing the ambient capabilities: %v", errno)
	}
	if err := syscall.Setgroups([]int{}); err != nil {
		fail("setgroups: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		fail("setgid %d: %v", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		fail("setuid %d: %v", uid, err)
	}
	// setuid to a non-zero uid emptied the permitted and effective sets; empty the inheritable one too.
	header := struct{ version, pid uint32 }{linuxCapVersion3, 0}
	var data [2]struct{ effective, permitted, inheritable uint32 }
	if _, _, errno := syscall.RawSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&header)), uintptr(unsafe.Pointer(&data[0])), 0); errno != 0 {
		fail("capset: %v", errno)
	}
	if errno := prctl(prSetNoNewPrivs, 1); errno != 0 {
		fail("no_new_privs: %v", errno)
	}
	binary := lookPath(command[0], environment)
	if err := syscall.Exec(binary, command, environment); err != nil {
		fail("exec %s: %v", binary, err)
	}
}
