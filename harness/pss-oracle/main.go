// Command pss-oracle evaluates pods as the API server's Pod Security admission does, with
// k8s.io/pod-security-admission's own evaluator: one JSON request a line on stdin,
// {"level", "version", "pod", "template"}, one answer a line on stdout, {"failures": [{"id",
// "reason", "detail"}]} or {"error"}. test/podsecurity/oracle.test.ts compares src/podsecurity with it.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"log"
	"os"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	kjson "sigs.k8s.io/json"
)

type request struct {
	Level    string     `json:"level"`
	Version  string     `json:"version"`
	Pod      corev1.Pod `json:"pod"`
	Template bool       `json:"template,omitempty"` // a workload's pod template: no Pod-only defaults
}

type failure struct {
	ID     policy.CheckID `json:"id"`
	Reason string         `json:"reason"`
	Detail string         `json:"detail"`
}

type answer struct {
	Failures []failure `json:"failures"`
	Error    string    `json:"error,omitempty"`
}

// ran names the results of the evaluation under way, which carry no check ID: each check records its
// ID as the evaluator runs it, and the evaluator returns one result per check, in the order it ran them.
var ran []policy.CheckID

func recordingIDs(checks []policy.Check) []policy.Check {
	for i := range checks {
		for j := range checks[i].Versions {
			id, check := checks[i].ID, checks[i].Versions[j].CheckPod
			checks[i].Versions[j].CheckPod = func(metadata *metav1.ObjectMeta, spec *corev1.PodSpec) policy.CheckResult {
				ran = append(ran, id)
				return check(metadata, spec)
			}
		}
	}
	return checks
}

// withServerDefaults applies the API server's defaults that change a verdict (pkg/apis/core/v1 defaults.go,
// pkg/registry/core/pod strategy.go): a volume with no source is an emptyDir; a Pod's own ports under
// hostNetwork are host ports too, and its containers' AppArmor annotations become fields.
func withServerDefaults(pod *corev1.Pod, template bool) {
	spec := &pod.Spec
	for i := range spec.Volumes {
		if spec.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
	if template {
		return
	}
	appArmorFieldsFromAnnotations(pod)
	if !spec.HostNetwork {
		return
	}
	for _, containers := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for i := range containers {
			for j := range containers[i].Ports {
				if containers[i].Ports[j].HostPort == 0 {
					containers[i].Ports[j].HostPort = containers[i].Ports[j].ContainerPort
				}
			}
		}
	}
}

// appArmorFieldsFromAnnotations is the Pod strategy's applyAppArmorVersionSkew: an annotation becomes the
// container's field when the field is unset, the value is a valid profile, and it differs from the pod's.
func appArmorFieldsFromAnnotations(pod *corev1.Pod) {
	if pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows {
		return
	}
	var podProfile *corev1.AppArmorProfile
	if pod.Spec.SecurityContext != nil {
		podProfile = pod.Spec.SecurityContext.AppArmorProfile
	}
	sync := func(container *corev1.Container) {
		annotation, has := pod.Annotations[corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix+container.Name]
		if !has || (container.SecurityContext != nil && container.SecurityContext.AppArmorProfile != nil) {
			return
		}
		profile := appArmorProfileOf(annotation)
		if profile == nil || reflect.DeepEqual(profile, podProfile) {
			return
		}
		if container.SecurityContext == nil {
			container.SecurityContext = &corev1.SecurityContext{}
		}
		container.SecurityContext.AppArmorProfile = profile
	}
	for i := range pod.Spec.InitContainers {
		sync(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		sync(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.EphemeralContainers {
		sync((*corev1.Container)(&pod.Spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
}

// appArmorProfileOf is ApparmorFieldForAnnotation, less the values ValidateAppArmorProfileField refuses.
func appArmorProfileOf(annotation string) *corev1.AppArmorProfile {
	switch {
	case annotation == corev1.DeprecatedAppArmorBetaProfileNameUnconfined:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
	case annotation == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	case strings.HasPrefix(annotation, corev1.DeprecatedAppArmorBetaProfileNamePrefix):
		name := strings.TrimPrefix(annotation, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
		if name == "" || strings.TrimSpace(name) != name {
			return nil
		}
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &name}
	}
	return nil
}

func evaluate(evaluator policy.Evaluator, line []byte) (answer, error) {
	var req request
	// As the API server decodes a request body: case-sensitive; here an unknown or repeated field is
	// also an error, so that a misspelt field in a test's pod cannot pass for an absent one.
	strict, err := kjson.UnmarshalStrict(line, &req)
	if err != nil || len(strict) > 0 {
		return answer{}, errors.Join(append(strict, err)...)
	}
	level, err := api.ParseLevel(req.Level)
	if err != nil {
		return answer{}, err
	}
	version, err := api.ParseVersion(req.Version)
	if err != nil {
		return answer{}, err
	}
	withServerDefaults(&req.Pod, req.Template)
	ran = ran[:0]
	results := evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: version}, &req.Pod.ObjectMeta, &req.Pod.Spec)
	if len(ran) != len(results) {
		return answer{}, errors.New("the evaluator ran a different number of checks than it returned results")
	}
	failures := []failure{}
	for i, result := range results {
		if !result.Allowed {
			failures = append(failures, failure{ran[i], result.ForbiddenReason, result.ForbiddenDetail})
		}
	}
	return answer{Failures: failures}, nil
}

func main() {
	evaluator, err := policy.NewEvaluator(recordingIDs(policy.DefaultChecks()), nil)
	if err != nil {
		log.Fatal(err)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	encoder := json.NewEncoder(out)
	for in.Scan() {
		result, err := evaluate(evaluator, in.Bytes())
		if err != nil {
			result = answer{Error: err.Error()}
		}
		if err := encoder.Encode(result); err != nil {
			log.Fatal(err)
		}
	}
	if err := in.Err(); err != nil {
		log.Fatal(err)
	}
	if err := out.Flush(); err != nil {
		log.Fatal(err)
	}
}
