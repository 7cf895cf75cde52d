// netpol-oracle: np-guard's netpol-analyzer v1.4.4, unchanged, as an oracle for src/reachability.
//
//	netpol-oracle               reads one JSON world on stdin, {"objects": [...], "queries": [...]},
//	                            and prints a line {"allowed": bool} or {"error": "..."} per query
//	netpol-oracle netpolicy ... the upstream command itself (list, eval, diff), for the benchmark
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/np-guard/netpol-analyzer/pkg/cli"
	"github.com/np-guard/netpol-analyzer/pkg/netpol/eval"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

type query struct {
	Src      string `json:"src"`
	Dst      string `json:"dst"`
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
}

type world struct {
	Objects []json.RawMessage `json:"objects"`
	Queries []query           `json:"queries"`
}

type answer struct {
	Allowed *bool  `json:"allowed,omitempty"`
	Error   string `json:"error,omitempty"`
}

// object decodes one manifest into the typed object the policy engine takes.
func object(raw json.RawMessage) (runtime.Object, error) {
	var head struct{ Kind string }
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	var obj runtime.Object
	switch head.Kind {
	case "Namespace":
		obj = &corev1.Namespace{}
	case "Pod":
		obj = &corev1.Pod{}
	case "NetworkPolicy":
		obj = &netv1.NetworkPolicy{}
	case "Deployment":
		obj = &appsv1.Deployment{}
	default:
		return nil, fmt.Errorf("the oracle takes no %q", head.Kind)
	}
	return obj, json.Unmarshal(raw, obj)
}

func serve() error {
	var w world
	if err := json.NewDecoder(os.Stdin).Decode(&w); err != nil {
		return err
	}
	engine := eval.NewPolicyEngine()
	for _, raw := range w.Objects {
		obj, err := object(raw)
		if err != nil {
			return err
		}
		if err := engine.InsertObject(obj); err != nil {
			return err
		}
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	encoder := json.NewEncoder(out)
	for _, q := range w.Queries {
		allowed, err := engine.CheckIfAllowed(q.Src, q.Dst, q.Protocol, strconv.Itoa(q.Port))
		a := answer{Allowed: &allowed}
		if err != nil {
			a = answer{Error: err.Error()}
		}
		if err := encoder.Encode(a); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "netpolicy" {
		os.Args = os.Args[1:]
		cli.Execute()
		return
	}
	if err := serve(); err != nil {
		fmt.Fprintln(os.Stderr, "netpol-oracle:", err)
		os.Exit(1)
	}
}
