"""Argo CD Applications rendered offline, and findings on them traced back to the repository."""
