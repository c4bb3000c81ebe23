"""What Argo CD would deploy from a GitOps repository, worked out offline."""
