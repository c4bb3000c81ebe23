"""gitops-gen: render and lint a GitOps repository for Kubernetes on EKS."""

__version__ = "0.1.0"
