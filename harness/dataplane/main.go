// dataplane: one Kubernetes node's pod network for the tests, with real packets. Pods are network
// namespaces with a veth to the node's namespace and listeners on their ports; every new
// connection between them is queued (iptables NFQUEUE) to sigs.k8s.io/kube-network-policies
// v1.1.1's policy engine, which accepts or drops it as it would on a real node.
//
//	dataplane --kubeconfig K --node-name N [--cluster-network-policies]
//
// Prints {"ready": true, "netns": [inode]} once enforcing, then takes one JSON command a line on
// stdin and answers each with a line carrying its id, in any order:
//
//	{"id": 1, "op": "pod", "name": "ns/web", "ips": ["10.213.0.2"], "tcp": [80], "udp": [53]}
//	{"id": 2, "op": "connect", "from": "ns/web", "to": "10.213.0.3", "port": 80, "protocol": "TCP"}
//	    → {"id": 2, "outcome": "connected" | "denied" | "refused" | "unanswered" | "no-verdict"}
//	{"id": 3, "op": "observed"} → {"id": 3, "observed": {"pods": {"ns/web": "resourceVersion"}, ...}}
//
// It ends, and with it every namespace, link and rule it made, on stdin's end or a signal.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

type command struct {
	ID       int      `json:"id"`
	Op       string   `json:"op"`
	Name     string   `json:"name,omitempty"`
	IPs      []string `json:"ips,omitempty"`
	TCP      []int    `json:"tcp,omitempty"`
	UDP      []int    `json:"udp,omitempty"`
	From     string   `json:"from,omitempty"`
	FromIP   string   `json:"fromIP,omitempty"`
	To       string   `json:"to,omitempty"`
	Port     int      `json:"port,omitempty"`
	Protocol string   `json:"protocol,omitempty"`
}

type reply struct {
	ID       int                          `json:"id"`
	Error    string                       `json:"error,omitempty"`
	Outcome  string                       `json:"outcome,omitempty"`
	Netns    []uint64                     `json:"netns,omitempty"`
	Observed map[string]map[string]string `json:"observed,omitempty"`
}

var output = struct {
	sync.Mutex
	*json.Encoder
}{Encoder: json.NewEncoder(os.Stdout)}

func send(value any) {
	output.Lock()
	defer output.Unlock()
	_ = output.Encode(value)
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func main() {
	kubeconfig := flag.String("kubeconfig", "", "the API server's kubeconfig")
	nodeName := flag.String("node-name", "", "the Node object the pods are bound to")
	queue := flag.Int("queue", 100, "the NFQUEUE number")
	clusterPolicies := flag.Bool("cluster-network-policies", false, "enforce ClusterNetworkPolicy too (its CRDs must be served)")
	flag.Parse()
	if err := run(*kubeconfig, *nodeName, *queue, *clusterPolicies); err != nil {
		logf("dataplane: %v", err)
		os.Exit(1)
	}
}

func run(kubeconfig, nodeName string, queue int, clusterPolicies bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := newNode(queue)
	if err != nil {
		return err
	}
	verdicts := newVerdicts()
	enforcer, err := newEnforcer(ctx, kubeconfig, nodeName, clusterPolicies, verdicts)
	if err != nil {
		return err
	}
	if err := enforcer.serve(ctx, n); err != nil {
		return err
	}
	d := &dispatcher{ctx: ctx, node: n, enforcer: enforcer, verdicts: verdicts, pods: map[string]*podNetwork{}}
	send(map[string]any{"ready": true, "netns": n.inodes})
	lines := make(chan []byte)
	go func() {
		scanner := bufio.NewScanner(os.Stdin)
		for scanner.Scan() {
			lines <- append([]byte(nil), scanner.Bytes()...)
		}
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, open := <-lines:
			if !open {
				return nil
			}
			d.handle(line)
		}
	}
}

type dispatcher struct {
	ctx      context.Context
	node     *node
	enforcer *enforcer
	verdicts *verdicts
	mu       sync.Mutex
	pods     map[string]*podNetwork
}

// handle answers a command: pods are made in order, connections run side by side.
func (d *dispatcher) handle(line []byte) {
	var c command
	if err := json.Unmarshal(line, &c); err != nil {
		send(reply{Error: fmt.Sprintf("bad command %q: %v", line, err)})
		return
	}
	switch c.Op {
	case "pod":
		send(d.addPod(c))
	case "connect":
		go func() { send(d.connect(c)) }()
	case "observed":
		send(reply{ID: c.ID, Observed: d.enforcer.observed()})
	default:
		send(reply{ID: c.ID, Error: fmt.Sprintf("unknown op %q", c.Op)})
	}
}

func (d *dispatcher) addPod(c command) reply {
	ips, err := parseIPs(c.IPs)
	if err != nil {
		return reply{ID: c.ID, Error: err.Error()}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, exists := d.pods[c.Name]; exists {
		return reply{ID: c.ID, Error: fmt.Sprintf("pod %s exists", c.Name)}
	}
	pod, err := d.node.addPod(ips)
	if err == nil {
		err = listen(d.ctx, pod, c.TCP, c.UDP)
	}
	if err != nil {
		return reply{ID: c.ID, Error: fmt.Sprintf("pod %s: %v", c.Name, err)}
	}
	d.pods[c.Name] = pod
	return reply{ID: c.ID, Netns: []uint64{inode(pod.netns)}}
}

func (d *dispatcher) connect(c command) reply {
	d.mu.Lock()
	pod := d.pods[c.From]
	d.mu.Unlock()
	if pod == nil {
		return reply{ID: c.ID, Error: fmt.Sprintf("no pod %s", c.From)}
	}
	source, _ := netip.AddrFromSlice(pod.ips[0])
	if c.FromIP != "" {
		source, _ = netip.ParseAddr(c.FromIP)
	}
	dst, _ := netip.ParseAddr(c.To)
	if !source.Is4() || !dst.Is4() {
		return reply{ID: c.ID, Error: fmt.Sprintf("connect from %s to %q: IPv4 addresses only", source, c.To)}
	}
	outcome, err := connect(d.ctx, pod, source, dst, c.Port, c.Protocol, d.verdicts)
	if err != nil {
		return reply{ID: c.ID, Error: err.Error()}
	}
	return reply{ID: c.ID, Outcome: outcome}
}

func parseIPs(texts []string) ([]net.IP, error) {
	if len(texts) == 0 {
		return nil, fmt.Errorf("a pod needs an address")
	}
	ips := make([]net.IP, 0, len(texts))
	for _, text := range texts {
		ip := net.ParseIP(text).To4()
		if ip == nil {
			return nil, fmt.Errorf("%q is not an IPv4 address", text)
		}
		ips = append(ips, ip)
	}
	return ips, nil
}
