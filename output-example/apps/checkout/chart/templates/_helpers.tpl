{{/*
The app's name: the chart's name unless nameOverride is set.
*/}}
{{- define "app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of every resource: fullnameOverride, else "<release>-<name>" (just the release name
when it already contains the app's name), cut to 63 characters (a DNS label).
*/}}
{{- define "app.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "app.labels" -}}
helm.sh/chart: {{ include "app.chart" . }}
{{ include "app.selectorLabels" . }}
{{- $version := .Values.image.tag | toString | trunc 63 | trimAll "-_." }}
{{- if $version }}
app.kubernetes.io/version: {{ $version | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels: what the Service, the PodDisruptionBudget, the NetworkPolicies and the
topology spread select the pods by. Never change them on a running release.
*/}}
{{- define "app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The service account of the pods.
*/}}
{{- define "app.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "app.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The pinned image: repository:tag, repository@digest or repository:tag@digest.
*/}}
{{- define "app.image" -}}
{{- $repository := required "image.repository is required" .Values.image.repository }}
{{- $tag := .Values.image.tag | toString }}
{{- $digest := .Values.image.digest | toString }}
{{- if not (or $tag $digest) }}
{{- fail "image.tag or image.digest is required: pin the image" }}
{{- end }}
{{- $repository }}{{ if $tag }}:{{ $tag }}{{ end }}{{ if $digest }}@{{ $digest }}{{ end }}
{{- end }}

{{/*
The names of the ConfigMap of config and of the Secret external-secrets writes.
*/}}
{{- define "app.configName" -}}
{{- printf "%s-config" (include "app.fullname" .) | trunc 253 }}
{{- end }}

{{- define "app.secretName" -}}
{{- printf "%s-secrets" (include "app.fullname" .) | trunc 253 }}
{{- end }}
