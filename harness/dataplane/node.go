package main

// The node's network: a network namespace standing for the node, where packets between pods are
// routed and queued to the enforcer, and one namespace per pod, joined to it by a veth pair. All
// of them are anonymous (no bind mount under /run/netns): the kernel removes them, their links and
// their iptables rules as soon as this process ends, however it ends.

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// gateway is the pods' next hop: never assigned to an interface, only a permanent neighbour entry
// (as Calico does), so that no ARP is needed in either direction.
var gateway = net.IPv4(169, 254, 1, 1)

type node struct {
	netns  netns.NsHandle
	links  *netlink.Handle
	veths  int
	queue  int
	inodes []uint64
}

// newNode makes the node's namespace: forwarding on, and every new forwarded connection queued to
// the enforcer (no --queue-bypass: with no enforcer listening, nothing passes).
func newNode(queue int) (*node, error) {
	handle, err := newNetns()
	if err != nil {
		return nil, err
	}
	n := &node{netns: handle, queue: queue}
	if n.links, err = netlink.NewHandleAt(handle); err != nil {
		return nil, fmt.Errorf("netlink in the node's namespace: %w", err)
	}
	if err := n.linkUp("lo"); err != nil {
		return nil, err
	}
	if err := inNetns(handle, func() error { return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644) }); err != nil {
		return nil, fmt.Errorf("ip_forward in the node's namespace: %w", err)
	}
	rule := []string{"-w", "-A", "FORWARD", "-m", "conntrack", "--ctstate", "NEW", "-j", "NFQUEUE", "--queue-num", fmt.Sprint(queue)}
	if err := n.run("iptables", rule...); err != nil {
		return nil, err
	}
	n.inodes = append(n.inodes, inode(handle))
	return n, nil
}

func (n *node) linkUp(name string) error {
	link, err := n.links.LinkByName(name)
	if err == nil {
		err = n.links.LinkSetUp(link)
	}
	if err != nil {
		return fmt.Errorf("link %s up in the node's namespace: %w", name, err)
	}
	return nil
}

// run runs a command in the node's namespace (nsenter on the namespace's file descriptor, passed
// as the child's fd 3): a Go thread's namespace is not reliably a child's.
func (n *node) run(command string, args ...string) error {
	fd, err := unix.FcntlInt(uintptr(n.netns), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return err
	}
	// A copy of the descriptor: the File closes it, and the handle stays open.
	file := os.NewFile(uintptr(fd), "node-netns")
	defer file.Close()
	cmd := exec.Command("nsenter", append([]string{"--net=/proc/self/fd/3", command}, args...)...)
	cmd.ExtraFiles = []*os.File{file}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %v in the node's namespace: %w: %s", command, args, err, out)
	}
	return nil
}

// podNetwork is one pod's namespace: eth0 holding its addresses, a default route to the node.
type podNetwork struct {
	netns netns.NsHandle
	ips   []net.IP
}

// addPod makes a namespace with `ips` on its eth0, routed to and from the node.
func (n *node) addPod(ips []net.IP) (created *podNetwork, err error) {
	handle, err := newNetns()
	if err != nil {
		return nil, err
	}
	pod := &podNetwork{netns: handle, ips: ips}
	// On failure the namespace goes, and the veth with it.
	defer func() {
		if err != nil {
			handle.Close()
		}
	}()
	links, err := netlink.NewHandleAt(handle)
	if err != nil {
		return nil, fmt.Errorf("netlink in a pod's namespace: %w", err)
	}
	defer links.Close()
	n.veths++
	hostSide := fmt.Sprintf("pod%d", n.veths)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostSide}, PeerName: "eth0", PeerNamespace: netlink.NsFd(handle)}
	if err := n.links.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("veth %s: %w", hostSide, err)
	}
	host, err := n.links.LinkByName(hostSide)
	if err != nil {
		return nil, err
	}
	eth0, err := links.LinkByName("eth0")
	if err != nil {
		return nil, err
	}
	if err := podSide(links, eth0, host.Attrs().HardwareAddr, ips); err != nil {
		return nil, err
	}
	if err := n.hostSide(host, eth0.Attrs().HardwareAddr, ips); err != nil {
		return nil, err
	}
	n.inodes = append(n.inodes, inode(handle))
	return pod, nil
}

func podSide(links *netlink.Handle, eth0 netlink.Link, nodeMAC net.HardwareAddr, ips []net.IP) error {
	for _, name := range []string{"lo", "eth0"} {
		link, err := links.LinkByName(name)
		if err == nil {
			err = links.LinkSetUp(link)
		}
		if err != nil {
			return fmt.Errorf("%s up in a pod's namespace: %w", name, err)
		}
	}
	for _, ip := range ips {
		if err := links.AddrAdd(eth0, &netlink.Addr{IPNet: host(ip)}); err != nil {
			return fmt.Errorf("address %s: %w", ip, err)
		}
	}
	index := eth0.Attrs().Index
	neighbour := &netlink.Neigh{LinkIndex: index, IP: gateway, HardwareAddr: nodeMAC, State: netlink.NUD_PERMANENT}
	if err := links.NeighAdd(neighbour); err != nil {
		return fmt.Errorf("gateway neighbour: %w", err)
	}
	route := &netlink.Route{LinkIndex: index, Gw: gateway, Flags: int(netlink.FLAG_ONLINK)}
	if err := links.RouteAdd(route); err != nil {
		return fmt.Errorf("default route: %w", err)
	}
	return nil
}

func (n *node) hostSide(link netlink.Link, podMAC net.HardwareAddr, ips []net.IP) error {
	if err := n.links.LinkSetUp(link); err != nil {
		return err
	}
	index := link.Attrs().Index
	for _, ip := range ips {
		if err := n.links.NeighAdd(&netlink.Neigh{LinkIndex: index, IP: ip, HardwareAddr: podMAC, State: netlink.NUD_PERMANENT}); err != nil {
			return fmt.Errorf("neighbour %s: %w", ip, err)
		}
		if err := n.links.RouteAdd(&netlink.Route{LinkIndex: index, Dst: host(ip), Scope: netlink.SCOPE_LINK}); err != nil {
			return fmt.Errorf("route to %s: %w", ip, err)
		}
	}
	return nil
}

func host(ip net.IP) *net.IPNet { return &net.IPNet{IP: ip, Mask: net.CIDRMask(32, 32)} }

// newNetns creates an anonymous network namespace and returns a handle on it.
func newNetns() (netns.NsHandle, error) {
	var created netns.NsHandle
	err := onOwnThread(func() (err error) {
		created, err = netns.New()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("new network namespace: %w", err)
	}
	return created, nil
}

// inNetns runs fn on a thread inside `handle`. A socket fn creates stays in that namespace.
func inNetns(handle netns.NsHandle, fn func() error) error {
	return onOwnThread(func() error {
		if err := netns.Set(handle); err != nil {
			return err
		}
		return fn()
	})
}

// onOwnThread runs fn on a locked thread of a goroutine of its own, and puts the thread back in
// this process's namespace after. If that fails, or fn fails before, the goroutine ends still
// locked, and Go retires the thread rather than reuse one in the wrong namespace.
func onOwnThread(fn func() error) error {
	result := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		origin, err := netns.Get()
		if err != nil {
			result <- err
			return
		}
		defer origin.Close()
		err = fn()
		if restore := netns.Set(origin); restore != nil {
			result <- errors.Join(err, restore)
			return
		}
		runtime.UnlockOSThread()
		result <- err
	}()
	return <-result
}

// inode is the namespace's inode number, as lsns and /proc/PID/ns/net show it.
func inode(handle netns.NsHandle) uint64 {
	var stat unix.Stat_t
	if err := unix.Fstat(int(handle), &stat); err != nil {
		return 0
	}
	return stat.Ino
}
