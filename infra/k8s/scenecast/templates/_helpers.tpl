{{- define "scenecast.labels" -}}
app.kubernetes.io/part-of: scenecast
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "scenecast.tokenService.name" -}}
{{ .Release.Name }}-token-service
{{- end }}

{{- define "scenecast.tokenService.selector" -}}
app.kubernetes.io/name: token-service
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* A web app's name and selector; call with (dict "root" $ "app" "viewer"). */}}
{{- define "scenecast.web.name" -}}
{{ .root.Release.Name }}-{{ .app }}
{{- end }}

{{- define "scenecast.web.selector" -}}
app.kubernetes.io/name: {{ .app }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{/* Every container runs unprivileged with a read-only root filesystem. */}}
{{- define "scenecast.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end }}

{{/* The browser origins of the enabled web apps, for the token service's CORS_ORIGINS. */}}
{{- define "scenecast.web.origins" -}}
{{- $origins := list -}}
{{- range $app, $cfg := .Values.web.apps -}}
{{- if $cfg.enabled -}}
{{- $origins = append $origins (printf "https://%s" $cfg.host) -}}
{{- end -}}
{{- end -}}
{{- join "," $origins -}}
{{- end }}
