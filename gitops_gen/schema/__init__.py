"""Schema validation of manifests: built-in Kubernetes kinds and custom resources (CRDs)."""
