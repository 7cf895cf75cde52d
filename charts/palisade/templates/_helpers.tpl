{{/* Labels every object of the chart carries, beside those of the shared YAML. */}}
{{- define "palisade.labels" -}}
app.kubernetes.io/part-of: palisade
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* What selects the operator's pods (the Deployment, Service, PodDisruptionBudget and NetworkPolicy). */}}
{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: palisade
app.kubernetes.io/component: operator
{{- end }}

{{- define "palisade.metricsCertDir" -}}/etc/palisade/metrics-cert{{- end }}

{{- define "palisade.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
{{- end }}

{{/*
The objects of a YAML file under files/ (config/ and crds/, through symlinks), as they are there,
with the release namespace in place of palisade-system (whose Namespace is Helm's to make, so
it is left out) and the chart's labels added. Each object is
parsed, so a List's items come out one by one. Arguments: (list $ "files/path.yaml" extraAnnotations).
*/}}
{{- define "palisade.shared" -}}
{{- $root := index . 0 }}
{{- $annotations := index . 2 }}
{{- $text := $root.Files.Get (index . 1) | replace "namespace: palisade-system" (printf "namespace: %s" $root.Release.Namespace) }}
{{- range $document := regexSplit "(?m)^---[ \t]*$" $text -1 }}
{{- $object := fromYaml $document }}
{{- if $object.kind }}
{{- range $item := (eq $object.kind "List" | ternary $object.items (list $object)) }}
{{- if not (and (eq $item.kind "Namespace") (eq $item.metadata.name "palisade-system")) }}
{{- $_ := set $item.metadata "labels" (merge (include "palisade.labels" $root | fromYaml) ($item.metadata.labels | default dict)) }}
{{- if $annotations }}
{{- $_ := set $item.metadata "annotations" (merge $annotations ($item.metadata.annotations | default dict)) }}
{{- end }}
---
{{ toYaml $item }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
