package main

// Listeners in the pods and connections between them. A connection is judged by its packets: a
// TCP handshake or a UDP echo completes, or the enforcer dropped its first packet and nothing came
// through. Anything else (refused, or no answer and no verdict) is the harness's own failure, not
// a policy's, so that a broken route is never mistaken for a denial.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"sigs.k8s.io/kube-network-policies/pkg/network"
)

const (
	// probeTimeout bounds a connection that neither completes nor is dropped.
	probeTimeout = 3 * time.Second
	// dropGrace is how long a connection whose first packet was dropped may still complete (it
	// must not: that would be a second path around the enforcer).
	dropGrace = 300 * time.Millisecond
)

// listen serves TCP (accept, then close) and UDP (echo) on every port of `pod`'s addresses.
func listen(ctx context.Context, pod *podNetwork, tcp, udp []int) error {
	return inNetns(pod.netns, func() error {
		for _, port := range tcp {
			listener, err := net.Listen("tcp4", fmt.Sprintf(":%d", port))
			if err != nil {
				return err
			}
			go acceptAll(ctx, listener)
		}
		// One UDP socket per address: a wildcard one would answer from the namespace's first address.
		for _, port := range udp {
			for _, ip := range pod.ips {
				conn, err := net.ListenPacket("udp4", net.JoinHostPort(ip.String(), fmt.Sprint(port)))
				if err != nil {
					return err
				}
				go echoAll(ctx, conn)
			}
		}
		return nil
	})
}

func acceptAll(ctx context.Context, listener net.Listener) {
	go func() { <-ctx.Done(); listener.Close() }()
	for {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		conn.Close()
	}
}

func echoAll(ctx context.Context, conn net.PacketConn) {
	go func() { <-ctx.Done(); conn.Close() }()
	buffer := make([]byte, 512)
	for {
		n, from, err := conn.ReadFrom(buffer)
		if err != nil {
			return
		}
		_, _ = conn.WriteTo(buffer[:n], from)
	}
}

// Outcomes of a connection attempt.
const (
	connected = "connected"
	denied    = "denied"
	refused   = "refused"
	noVerdict = "no-verdict"
)

type flow struct {
	protocol string
	src, dst string
	port     int
}

// connect opens a connection from `source` (an address of `pod`) to dst:port and says how it went.
func connect(ctx context.Context, pod *podNetwork, source net.IP, dst net.IP, port int, protocol string, verdicts *verdicts) (string, error) {
	key := flow{protocol: protocol, src: source.String(), dst: dst.String(), port: port}
	drops := verdicts.watch(key)
	defer verdicts.unwatch(key, drops)
	attempt, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		// The whole attempt runs on a thread inside the pod's namespace, where its socket is made.
		err := inNetns(pod.netns, func() error { return attemptConnection(attempt, source, dst, port, protocol) })
		done <- err
	}()
	select {
	case err := <-done:
		return outcome(err)
	case <-drops:
		select {
		case err := <-done:
			if err == nil {
				return "", fmt.Errorf("%s %s -> %s:%d connected although the enforcer dropped its first packet", protocol, source, dst, port)
			}
		case <-time.After(dropGrace):
		}
		return denied, nil
	}
}

// attemptConnection completes a TCP handshake, or sends a UDP datagram and reads its echo.
func attemptConnection(ctx context.Context, source, dst net.IP, port int, protocol string) error {
	address := net.JoinHostPort(dst.String(), fmt.Sprint(port))
	switch protocol {
	case "TCP":
		dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: source}}
		conn, err := dialer.DialContext(ctx, "tcp4", address)
		if err != nil {
			return err
		}
		return conn.Close()
	case "UDP":
		dialer := net.Dialer{LocalAddr: &net.UDPAddr{IP: source}}
		conn, err := dialer.DialContext(ctx, "udp4", address)
		if err != nil {
			return err
		}
		defer conn.Close()
		return echo(ctx, conn)
	}
	return errNoSCTP
}

// errNoSCTP: this kernel has no SCTP sockets (CONFIG_IP_SCTP is not set).
var errNoSCTP = errors.New("only TCP and UDP can be probed: this kernel has no SCTP sockets (CONFIG_IP_SCTP is not set)")

// echo sends a datagram and waits for the same bytes back.
func echo(ctx context.Context, conn net.Conn) error {
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	go func() { <-ctx.Done(); _ = conn.SetDeadline(time.Now()) }()
	message := []byte(fmt.Sprintf("palisade %d", time.Now().UnixNano()))
	if _, err := conn.Write(message); err != nil {
		return err
	}
	buffer := make([]byte, len(message)+1)
	n, err := conn.Read(buffer)
	if err != nil {
		return err
	}
	if string(buffer[:n]) != string(message) {
		return fmt.Errorf("echo answered %q", buffer[:n])
	}
	return nil
}

// outcome names how an attempt that ended before any drop went: a refusal means the packet
// arrived and nothing listened; a timeout with no verdict means it never reached the enforcer.
func outcome(err error) (string, error) {
	switch {
	case err == nil:
		return connected, nil
	case errors.Is(err, syscall.ECONNREFUSED):
		return refused, nil
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return noVerdict, nil
	}
	return "", err
}

func isTimeout(err error) bool {
	var timeout interface{ Timeout() bool }
	return errors.As(err, &timeout) && timeout.Timeout()
}

// verdicts tells the probes which of their flows the enforcer dropped.
type verdicts struct {
	mu       sync.Mutex
	watchers map[flow][]chan struct{}
}

func newVerdicts() *verdicts { return &verdicts{watchers: map[flow][]chan struct{}{}} }

func (v *verdicts) watch(key flow) chan struct{} {
	v.mu.Lock()
	defer v.mu.Unlock()
	channel := make(chan struct{}, 1)
	v.watchers[key] = append(v.watchers[key], channel)
	return channel
}

func (v *verdicts) unwatch(key flow, channel chan struct{}) {
	v.mu.Lock()
	defer v.mu.Unlock()
	remaining := v.watchers[key][:0]
	for _, c := range v.watchers[key] {
		if c != channel {
			remaining = append(remaining, c)
		}
	}
	if len(remaining) == 0 {
		delete(v.watchers, key)
	} else {
		v.watchers[key] = remaining
	}
}

// record logs a verdict, and wakes the probes of a dropped flow.
func (v *verdicts) record(packet network.Packet, accepted bool) {
	word := "drop"
	if accepted {
		word = "accept"
	}
	logf("%s %s %s:%d -> %s:%d", word, packet.Proto, packet.SrcIP, packet.SrcPort, packet.DstIP, packet.DstPort)
	if accepted {
		return
	}
	key := flow{protocol: strings.ToUpper(string(packet.Proto)), src: packet.SrcIP.String(), dst: packet.DstIP.String(), port: packet.DstPort}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, channel := range v.watchers[key] {
		select {
		case channel <- struct{}{}:
		default:
		}
	}
}
