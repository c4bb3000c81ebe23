"""Argo CD Applications rendered offline, the way Argo CD's repo-server renders them."""
