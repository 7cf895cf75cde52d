package main

// Listeners in the pods and connections between them. A connection is judged by its packets and
// the enforcer's verdict on its first one: accepted and a TCP handshake or UDP echo completed, or
// dropped and nothing came through. Anything else (refused, unanswered, a completion the enforcer
// never saw) is the harness's own failure, not a policy's: a broken route is never a denial.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"sigs.k8s.io/kube-network-policies/pkg/network"
)

const (
	// probeTimeout bounds a connection that neither completes nor is dropped.
	probeTimeout = 3 * time.Second
	// dropGrace is how long a connection whose first packet was dropped is watched: it must not
	// complete (a path around the enforcer). Less than TCP's first SYN resend (1 s), as that is
	// dropped again.
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

// Outcomes of a connection attempt. Only the first two are a policy's doing: refused (nothing
// listens), unanswered (accepted, then no answer) and no-verdict (never reached the enforcer) are
// the test's or the harness's faults.
const (
	connected  = "connected"
	denied     = "denied"
	refused    = "refused"
	unanswered = "unanswered"
	noVerdict  = "no-verdict"
)

// The enforcer's verdicts on a first packet.
const (
	accept      = "accept"
	drop        = "drop"
	engineError = "error"
)

// flow is one connection attempt's 5-tuple: each attempt has a source port of its own, so a
// verdict is never taken for another attempt's, and no conntrack entry of an earlier one is reused.
type flow struct {
	protocol         string
	src, dst         netip.Addr
	srcPort, dstPort int
}

func (f flow) String() string {
	return fmt.Sprintf("%s %s:%d -> %s:%d", f.protocol, f.src, f.srcPort, f.dst, f.dstPort)
}

// Source ports are handed out in turn from this range, once each in a test run of any size here.
const firstSourcePort, lastSourcePort = 20000, 60999

var lastPort atomic.Int64

func nextSourcePort() int {
	return firstSourcePort + int((lastPort.Add(1)-1)%(lastSourcePort-firstSourcePort+1))
}

// connect opens a connection from `source` (an address of `pod`) to dst:port and says how it went.
func connect(ctx context.Context, pod *podNetwork, source, dst netip.Addr, port int, protocol string, verdicts *verdicts) (string, error) {
	key := flow{protocol: protocol, src: source, dst: dst, srcPort: nextSourcePort(), dstPort: port}
	decided := verdicts.watch(key)
	defer verdicts.unwatch(key)
	attempt, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		// The whole attempt runs on a thread inside the pod's namespace, where its socket is made.
		done <- inNetns(pod.netns, func() error { return attemptConnection(attempt, key) })
	}()
	var verdict string
	select {
	case err := <-done:
		// A verdict is recorded before the packet goes on, so it is here by now if there was one.
		select {
		case verdict = <-decided:
		default:
		}
		return judge(key, verdict, true, err)
	case verdict = <-decided:
	}
	if verdict == drop {
		select {
		case err := <-done:
			return judge(key, verdict, true, err)
		case <-time.After(dropGrace):
			return judge(key, verdict, false, nil)
		}
	}
	return judge(key, verdict, true, <-done)
}

// judge names how an attempt went from the verdict on its first packet ("" for none) and, if it
// finished, its error.
func judge(key flow, verdict string, finished bool, err error) (string, error) {
	switch {
	case verdict == engineError:
		return "", fmt.Errorf("%s: the policy engine failed on it (its log says why)", key)
	case verdict == drop && finished && err == nil:
		return "", fmt.Errorf("%s connected although the enforcer dropped its first packet", key)
	case verdict == drop:
		return denied, nil
	case verdict == "" && err == nil:
		return "", fmt.Errorf("%s connected, but the enforcer never saw it", key)
	case verdict == "":
		return noVerdict, nil
	case err == nil:
		return connected, nil
	case errors.Is(err, syscall.ECONNREFUSED):
		return refused, nil
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return unanswered, nil
	}
	return "", fmt.Errorf("%s: %w", key, err)
}

// attemptConnection completes a TCP handshake, or sends a UDP datagram and reads its echo.
func attemptConnection(ctx context.Context, key flow) error {
	address := net.JoinHostPort(key.dst.String(), fmt.Sprint(key.dstPort))
	source := key.src.AsSlice()
	switch key.protocol {
	case "TCP":
		dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: source, Port: key.srcPort}}
		conn, err := dialer.DialContext(ctx, "tcp4", address)
		if err != nil {
			return err
		}
		return conn.Close()
	case "UDP":
		dialer := net.Dialer{LocalAddr: &net.UDPAddr{IP: source, Port: key.srcPort}}
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

func isTimeout(err error) bool {
	var timeout interface{ Timeout() bool }
	return errors.As(err, &timeout) && timeout.Timeout()
}

// verdicts hands each probe the enforcer's verdict on its flow's first packet.
type verdicts struct {
	mu       sync.Mutex
	watchers map[flow]chan string
}

func newVerdicts() *verdicts { return &verdicts{watchers: map[flow]chan string{}} }

func (v *verdicts) watch(key flow) chan string {
	v.mu.Lock()
	defer v.mu.Unlock()
	channel := make(chan string, 1)
	v.watchers[key] = channel
	return channel
}

func (v *verdicts) unwatch(key flow) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.watchers, key)
}

// record logs a verdict and hands it to the flow's probe, if any is waiting for its first.
func (v *verdicts) record(packet network.Packet, verdict string) {
	src, _ := netip.AddrFromSlice(packet.SrcIP.To4())
	dst, _ := netip.AddrFromSlice(packet.DstIP.To4())
	key := flow{protocol: string(packet.Proto), src: src, dst: dst, srcPort: packet.SrcPort, dstPort: packet.DstPort}
	logf("%s %s", verdict, key)
	v.mu.Lock()
	defer v.mu.Unlock()
	select {
	case v.watchers[key] <- verdict:
	default: // no probe, or it has its verdict (a resent SYN)
	}
}
