package main

// The enforcer: kube-network-policies' policy engine and NetworkPolicy evaluator, unchanged, fed by
// informers on the real API server, deciding each new connection that the node's iptables rule
// queues. This stands in for its own dataplane, which needs nftables queueing (CONFIG_NFT_QUEUE),
// which this kernel lacks; the decision on each packet is upstream's.

import (
	"context"
	"errors"
	"fmt"
	"time"

	nfqueue "github.com/florianl/go-nfqueue/v2"
	"github.com/mdlayher/netlink"
	"reflect"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kube-network-policies/pkg/api"
	"sigs.k8s.io/kube-network-policies/pkg/network"
	"sigs.k8s.io/kube-network-policies/pkg/networkpolicy"
	"sigs.k8s.io/kube-network-policies/pkg/podinfo"
	pluginsnpa "sigs.k8s.io/kube-network-policies/plugins/npa-v1alpha2"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	npaclient "sigs.k8s.io/network-policy-api/pkg/client/clientset/versioned"
	npainformers "sigs.k8s.io/network-policy-api/pkg/client/informers/externalversions"
)

type enforcer struct {
	engine *networkpolicy.PolicyEngine
	// stores is what observed reports: each kind's informer cache.
	stores   map[string]cache.Store
	verdicts *verdicts
}

// informerFactory is what both client-go's and network-policy-api's informer factories are.
type informerFactory interface {
	Start(<-chan struct{})
	WaitForCacheSync(<-chan struct{}) map[reflect.Type]bool
}

// newEnforcer wires the upstream engine as its commands do: the NetworkPolicy evaluator
// (cmd/kube-network-policies/standard), between ClusterNetworkPolicy's Admin and Baseline tiers
// when `clusterPolicies` (cmd/kube-network-policies/npa-v1alpha2: the CRDs must be served), and
// waits until its informers have synced.
func newEnforcer(ctx context.Context, kubeconfig, nodeName string, clusterPolicies bool, verdicts *verdicts) (*enforcer, error) {
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	namespaces, pods, policies := factory.Core().V1().Namespaces(), factory.Core().V1().Pods(), factory.Networking().V1().NetworkPolicies()
	resolver, err := podinfo.NewInformerResolver(pods.Informer())
	if err != nil {
		return nil, err
	}
	provider := podinfo.NewInformerProvider(pods, namespaces, nil, []podinfo.IPResolver{resolver})
	e := &enforcer{verdicts: verdicts, stores: map[string]cache.Store{
		"namespaces": namespaces.Informer().GetStore(), "pods": pods.Informer().GetStore(), "networkpolicies": policies.Informer().GetStore(),
	}}
	evaluators := []api.PolicyEvaluator{networkpolicy.NewStandardNetworkPolicy(nodeName, namespaces, pods, policies)}
	factories := []informerFactory{factory}
	if clusterPolicies {
		admin, baseline, clusterFactory, err := e.clusterTiers(config, factory)
		if err != nil {
			return nil, err
		}
		evaluators = append(append([]api.PolicyEvaluator{admin}, evaluators...), baseline)
		factories = append(factories, clusterFactory)
	}
	e.engine = networkpolicy.NewPolicyEngine(provider, evaluators)
	for _, f := range factories {
		f.Start(ctx.Done())
		for informer, synced := range f.WaitForCacheSync(ctx.Done()) {
			if !synced {
				return nil, fmt.Errorf("informer %v did not sync", informer)
			}
		}
	}
	if !e.engine.Ready() {
		return nil, fmt.Errorf("the policy engine is not ready after its informers synced")
	}
	return e, nil
}

// clusterTiers are ClusterNetworkPolicy's Admin and Baseline evaluators, on one informer of its
// v1alpha2 (v1beta1 has the same schema and no conversion, so objects written in either are seen).
func (e *enforcer) clusterTiers(config *rest.Config, factory informers.SharedInformerFactory) (admin, baseline api.PolicyEvaluator, _ informerFactory, _ error) {
	client, err := npaclient.NewForConfig(config)
	if err != nil {
		return nil, nil, nil, err
	}
	clusterFactory := npainformers.NewSharedInformerFactory(client, 0)
	cnps, nodes := clusterFactory.Policy().V1alpha2().ClusterNetworkPolicies(), factory.Core().V1().Nodes().Lister()
	e.stores["clusternetworkpolicies"] = cnps.Informer().GetStore()
	// No domain resolver: upstream's needs nftables queueing too; domain-name peers then match nothing.
	admin = pluginsnpa.NewClusterNetworkPolicy(npav1alpha2.AdminTier, cnps, nil, nodes)
	baseline = pluginsnpa.NewClusterNetworkPolicy(npav1alpha2.BaselineTier, cnps, nil, nodes)
	return admin, baseline, clusterFactory, nil
}

// serve takes the packets of `queue` in the node's namespace until ctx ends.
func (e *enforcer) serve(ctx context.Context, n *node) error {
	queue, err := nfqueue.Open(&nfqueue.Config{
		NetNS:        int(n.netns),
		NfQueue:      uint16(n.queue),
		Flags:        nfqueue.NfQaCfgFlagGSO,
		MaxPacketLen: 128, // headers only, as upstream
		MaxQueueLen:  1024,
		Copymode:     nfqueue.NfQnlCopyPacket,
		WriteTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("nfqueue %d: %w", n.queue, err)
	}
	decide := func(a nfqueue.Attribute) int {
		// Recorded before the verdict is set, so a probe has it before its connection can complete.
		verdict := e.decide(ctx, *a.Payload)
		if verdict == accept {
			_ = queue.SetVerdict(*a.PacketID, nfqueue.NfAccept)
		} else {
			_ = queue.SetVerdict(*a.PacketID, nfqueue.NfDrop)
		}
		return 0
	}
	onError := func(err error) int {
		var opError *netlink.OpError
		if errors.As(err, &opError) && (opError.Timeout() || opError.Temporary()) {
			return 0
		}
		// Given up: the probes that follow report no verdict, and this line says why.
		logf("nfqueue: %v", err)
		return 1
	}
	if err := queue.RegisterWithErrorFunc(ctx, decide, onError); err != nil {
		queue.Close()
		return err
	}
	go func() {
		<-ctx.Done()
		queue.Close()
	}()
	return nil
}

// decide is the upstream engine's verdict on a queued packet: accept, drop, or an engine error
// (the packet is dropped, and the probe says the harness failed rather than that a policy denied).
func (e *enforcer) decide(ctx context.Context, payload []byte) string {
	packet, err := network.ParsePacket(payload)
	if err != nil {
		logf("unparsable packet: %v", err)
		return drop
	}
	allowed, err := e.engine.EvaluatePacket(ctx, &packet)
	verdict := map[bool]string{true: accept, false: drop}[allowed]
	if err != nil {
		logf("policy engine: %v", err)
		verdict = engineError
	}
	e.verdicts.record(packet, verdict)
	return verdict
}

// observed is what the enforcer's informers hold: object key → resourceVersion, so that a test
// can wait until the enforcer has seen what it just wrote.
func (e *enforcer) observed() map[string]map[string]string {
	result := map[string]map[string]string{}
	for kind, store := range e.stores {
		versions := map[string]string{}
		for _, object := range store.List() {
			key, _ := cache.MetaNamespaceKeyFunc(object)
			if accessor, ok := object.(interface{ GetResourceVersion() string }); ok {
				versions[key] = accessor.GetResourceVersion()
			}
		}
		result[kind] = versions
	}
	return result
}
